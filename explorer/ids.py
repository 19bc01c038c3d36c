"""Component ids, in one place so the layout, the callbacks and the browser tests agree."""

from __future__ import annotations

URL = "url"
STATE = "view-state"
QUERY_STORE = "query-store"
QUERY_RERUN = "query-rerun"
STEPS_SEEN = "steps-seen"  # the Previous/Next click counts the router has applied (quick clicks are never lost)

CANVAS = "canvas"
CANVAS_TITLE = "canvas-title"
CANVAS_WRAP = "canvas-wrap"
NODE_LIST = "node-list"
LEGEND = "legend"
CANVAS_FIT = "canvas-fit"
SHOW_MORE = "show-more"
CANVAS_TIP = "canvas-tooltip"
COMPARE = "compare-view"
EVIDENCE = "evidence-view"
EVIDENCE_CHART = "evidence-chart"
EVIDENCE_TABLE = "evidence-table"
RESULTS = "query-results"

SEARCH = "search"
SIDEBAR_TABS = "sidebar-tabs"
STUDIES = "show-studies"
EXPLORE_HELP = "explore-help"

SOURCE = "path-source"
TARGET = "path-target"
MIN_EVIDENCE = "path-min-evidence"
HUMAN_ONLY = "path-human-only"
ROUTE = "path-route"
TRACE = "path-trace"
PATH_LIST = "path-list"
COMPARE_WITH = "compare-with"
COMPARE_RUN = "compare-mechanisms"

TOUR = "tour-select"
TOUR_PREV = "tour-prev"
TOUR_NEXT = "tour-next"
TOUR_PANEL = "tour-panel"
COMPARE_OPEN = "compare-open"

EV_COMPOUND = "evidence-compound"
EV_COMPARE = "evidence-compare"
EV_INDICATION = "evidence-indication"
EV_SHOW = "evidence-show"

QUERY_LANG = "query-language"
QUERY_NAMED = "query-named"
QUERY_TEXT = "query-text"
QUERY_RUN = "query-run"
QUERY_MESSAGE = "query-message"

PANEL = "evidence-panel"

EXPORT_PNG = "export-png"
EXPORT_SVG = "export-svg"
EXPORT_JSON = "export-json"
EXPORT_CSV = "export-csv"
DOWNLOAD = "download"
FIGURE = "figure-export"  # the view as an SVG figure, saved by the page as SVG or PNG
TOUR_HANDOUT = "tour-handout"
SHARE = "share-link"
SHARE_STATUS = "share-status"
NOTICES = "url-notices"

# Presentation mode (explorer/assets/presentation.js shows it): a toggle, the slide under the canvas, its steps.
PRESENT = "present-toggle"
SLIDE = "slide"
SLIDE_TEXT = "slide-text"
SLIDE_PREV = "slide-prev"
SLIDE_NEXT = "slide-next"

# Pattern-matching id types (dicts {"type": ..., "index": ...}).
SELECT = "select"          # index: "node:CURIE" or "claim:ID"
FOCUS = "focus"            # index: CURIE
TRACE_FROM = "trace-from"  # index: CURIE
TRACE_TO = "trace-to"      # index: CURIE
TOUR_GO = "tour-go"        # index: "HYPOTHESIS#step" (1-based)
PATH_ITEM = "path-item"    # index: rank (0-based)
PATHS_MORE = "paths-more"  # index: "more" (list the next paths)
EVIDENCE_ROW = "evidence-row"    # index: "CLAIM#STUDY" (a click opens the claim)
EVIDENCE_SORT = "evidence-sort"  # index: a column key of explorer.evidence_view.COLUMNS
NODE_CLAIMS_CSV = "node-claims-csv"  # index: CURIE (download every claim of the node)
NODE_ITEM = "node-item"  # index: CURIE (a drawn node in the keyboard list of the canvas)

# Pseudo-ids the router uses for the canvas' two tap events.
CANVAS_NODE = "canvas-node"
CANVAS_EDGE = "canvas-edge"
