"""A view as a figure that stands alone: title, the drawn graph, notes, a legend and a margin, as SVG.

The canvas' PNG and SVG exports and the tour handout use it. Nodes, edges and their styles follow
``explorer.style`` (the canvas' stylesheet) at the subgraph's preset positions; every text is
escaped, and the SVG loads nothing from outside itself.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from kmoa.explorer.data import ExplorerData
from kmoa.explorer.style import (
    CLINICAL_COLOUR,
    EFFECT_STYLE,
    IMPORTED_COLOUR,
    OKABE_ITO,
    SHAPE_CLIP,
    edge_legend,
    kind_style,
    node_legend,
)
from kmoa.explorer.views import Scene, Subgraph, edge_classes, kinds_shown

MARGIN = 40
NODE = 26
FONT = "Helvetica Neue, Helvetica, Arial, sans-serif"
TITLE_SIZE = 20
TEXT_SIZE = 13
LINE = 18
LABEL_CHARS = 18  # a node label wraps after about this many characters (the canvas' 120 px)
NOTE_CHARS = 120
LEGEND_COLUMN = 300
EDGE_LABEL_CLASSES = {"show-label", "highlighted", "current"}


def _text(x: float, y: float, lines: Sequence[str], size: int = TEXT_SIZE, anchor: str = "start",
          weight: str = "normal", colour: str = "#1b1f24", halo: bool = False) -> str:
    """Lines of text from (x, y) down, escaped; ``halo`` draws a white outline under them."""
    extra = ' stroke="#ffffff" stroke-width="3" paint-order="stroke"' if halo else ""
    spans = "".join(f'<tspan x="{x:.1f}" dy="{0 if i == 0 else size * 1.25:.1f}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-family={quoteattr(FONT)} font-size="{size}" '
            f'font-weight="{weight}" text-anchor="{anchor}" fill="{colour}"{extra}>{spans}</text>')


def node_shape(shape: str, colour: str, x: float, y: float, size: float, border: float = 1,
               border_colour: str = "#33383f") -> str:
    """A node kind's shape (the canvas' Cytoscape shape) centred on (x, y)."""
    half = size / 2
    stroke = f'fill="{colour}" stroke="{border_colour}" stroke-width="{border}"'
    if shape in SHAPE_CLIP:
        points = []
        for corner in SHAPE_CLIP[shape].removeprefix("polygon(").removesuffix(")").split(","):
            px, py = (float(v.rstrip("%") or 0) / 100 for v in corner.split())
            points.append(f"{x - half + px * size:.1f},{y - half + py * size:.1f}")
        return f'<polygon points="{" ".join(points)}" {stroke}/>'
    if shape == "ellipse":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{half:.1f}" {stroke}/>'
    radius = {"round-rectangle": 3, "barrel": half / 2}.get(shape, 0)
    return f'<rect x="{x - half:.1f}" y="{y - half:.1f}" width="{size}" height="{size}" rx="{radius}" {stroke}/>'


def edge_look(classes: Sequence[str], strength: float) -> dict[str, str | float]:
    """Colour, dash pattern, end marker and width of an edge, as the canvas' stylesheet draws it."""
    effect = next((c.removeprefix("effect-") for c in classes if c.startswith("effect-")), "structural")
    spec = EFFECT_STYLE.get(effect, EFFECT_STYLE["structural"])
    look: dict[str, str | float] = {"colour": spec["colour"], "end": spec["arrow"],
                                    "dash": {"dotted": "2 3"}.get(spec["line"], ""),
                                    "width": 1.5 if effect == "structural" else 1.2 + 4.8 * strength}
    if "clinical" in classes:
        look.update(colour=CLINICAL_COLOUR, end="diamond", dash="")
    if "weak" in classes and effect in ("activating", "inhibiting"):
        look["dash"] = "7 4"
    if "contested" in classes:
        look["dash"] = "8 3 2 3"
    if "negative" in classes:
        look.update(colour=OKABE_ITO["black"], end="circle", dash="3 3")
    if "inferred" in classes:
        look["dash"] = "2 3"
    if "imported" in classes:
        look.update(colour=IMPORTED_COLOUR, end="vee", dash="12 4", width=2.5)
    if "highlighted" in classes:
        look["width"] = 4 + 5 * strength
    return look


def _end_marker(end: str, x: float, y: float, ux: float, uy: float, colour: str) -> str:
    """The marker at an edge's target end: (x, y) is where the line meets the node, (ux, uy) its direction."""
    nx, ny = -uy, ux

    def at(back: float, side: float) -> str:
        return f"{x - back * ux + side * nx:.1f},{y - back * uy + side * ny:.1f}"

    if end == "triangle":
        return f'<polygon points="{at(0, 0)} {at(11, 5)} {at(11, -5)}" fill="{colour}"/>'
    if end == "tee":
        return f'<polyline points="{at(1, 7)} {at(1, -7)}" stroke="{colour}" stroke-width="3" fill="none"/>'
    if end == "diamond":
        return f'<polygon points="{at(0, 0)} {at(7, 5)} {at(14, 0)} {at(7, -5)}" fill="{colour}"/>'
    if end == "circle":
        cx, cy = x - 5 * ux, y - 5 * uy
        return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="5" fill="{colour}"/>'
    return f'<polyline points="{at(9, 5)} {at(0, 0)} {at(9, -5)}" stroke="{colour}" stroke-width="2" fill="none"/>'


def _opacity(classes: Sequence[str]) -> float:
    return 0.38 if "faded" in classes else 0.45 if "future" in classes else 1.0


def _legend(data: ExplorerData, subgraph: Subgraph, used: set[str], top: float, width: float) -> tuple[str, float]:
    """The legend for what the figure shows: its node kinds, then its edge styles. Returns (SVG, height)."""
    nodes = [node_shape(e.shape, e.colour, 8, -4, 14) + _text(22, 0, [e.label])
             for e in node_legend(data.kg.schema, kinds_shown(data, subgraph))]
    sources = data.imported.source_names if data.imported is not None else None
    edges = []
    for row in edge_legend(sources):
        if row["key"] not in used:
            continue
        dash = {"dashed": "6 4", "dotted": "2 3", "double": "8 3 2 3"}.get(row["line"], "")
        line = (f'<line x1="0" y1="-4" x2="26" y2="-4" stroke="{row["colour"]}" stroke-width="3" '
                f'stroke-dasharray="{dash}"/>')
        edges.append(line + _text(32, 0, [f"{row['end']} {row['label']}".strip()]))
    out = [_text(0, 0, ["Legend"], weight="bold")]
    y = 0.0
    # Node kinds in narrow columns; edge styles, whose words are longer, in two wide ones.
    for items, column in ((nodes, LEGEND_COLUMN), (edges, max(width / 2, LEGEND_COLUMN))):
        columns = max(int(width // column), 1)
        for i, item in enumerate(items):
            out.append(f'<g transform="translate({(i % columns) * column:.0f},{y + LINE * (1 + i // columns):.0f})">'
                       f'{item}</g>')
        y += LINE * math.ceil(len(items) / columns)
    return f'<g class="legend" transform="translate({MARGIN},{top:.1f})">{"".join(out)}</g>', y + 2 * LINE


def _legend_keys(classes: Sequence[str]) -> set[str]:
    """Which legend rows an edge with these classes needs."""
    keys = {c.removeprefix("effect-") for c in classes if c.startswith("effect-")}
    if "clinical" in classes:
        keys = {"clinical"}
    for key in ("weak", "negative", "contested", "inferred", "imported"):
        if key in classes:
            keys.add(key)
    return keys


def figure_svg(data: ExplorerData, subgraph: Subgraph, title: str, notes: Sequence[str] = (),
               standalone: bool = True) -> str:
    """The subgraph as an SVG figure: title on top, the graph, notes under it, the legend, a margin all round.

    ``standalone`` gives a file's XML namespace; an SVG inlined in HTML goes without it.
    """
    positions = [subgraph.positions.get(n, (0.0, 0.0)) for n in subgraph.nodes] or [(0.0, 0.0)]
    left, right = min(p[0] for p in positions), max(p[0] for p in positions)
    low, high = min(p[1] for p in positions), max(p[1] for p in positions)
    label_half = LABEL_CHARS * TEXT_SIZE * 0.3
    graph_width = right - left + 2 * label_half
    width = max(graph_width, 3 * LEGEND_COLUMN) + 2 * MARGIN
    title_lines = textwrap.wrap(title, int((width - 2 * MARGIN) / (TITLE_SIZE * 0.55))) or [""]
    top = MARGIN + len(title_lines) * TITLE_SIZE * 1.25 + 24
    shift_x = MARGIN + (width - 2 * MARGIN - graph_width) / 2 + label_half - left
    shift_y = top + NODE - low

    def place(node: str) -> tuple[float, float]:
        x, y = subgraph.positions.get(node, (0.0, 0.0))
        return x + shift_x, y + shift_y

    body: list[str] = []
    used: set[str] = set()
    for edge in subgraph.edges:
        if edge.source not in subgraph.nodes or edge.target not in subgraph.nodes:
            continue
        classes = [*edge_classes(data, edge), *subgraph.classes.get(edge.id, ())]
        used |= _legend_keys(classes)
        look = edge_look(classes, float(data.claim_row(edge.claims[0])["evidence_strength"]))
        (x1, y1), (x2, y2) = place(edge.source), place(edge.target)
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        gap = NODE / 2 + 2
        sx, sy, ex, ey = x1 + gap * ux, y1 + gap * uy, x2 - gap * ux, y2 - gap * uy
        colour = str(look["colour"])
        dash = f' stroke-dasharray="{look["dash"]}"' if look["dash"] else ""
        body.append(f'<g class="edge" opacity="{_opacity(classes)}"><line x1="{sx:.1f}" y1="{sy:.1f}" x2="{ex:.1f}" '
                    f'y2="{ey:.1f}" stroke="{colour}" stroke-width="{float(look["width"]):.1f}"{dash}/>'
                    f'{_end_marker(str(look["end"]), ex, ey, ux, uy, colour)}</g>')
        if EDGE_LABEL_CLASSES & set(classes):
            body.append(_text((sx + ex) / 2, (sy + ey) / 2 - 4, [edge.label], size=12, anchor="middle", halo=True))
    for node in subgraph.nodes:
        x, y = place(node)
        node_classes = set(subgraph.classes.get(node, ()))
        colour, shape = kind_style(data.node_kind(node))
        size = NODE + (14 if "focus" in node_classes else 0)
        strong = bool({"focus", "highlighted", "current"} & node_classes)
        lines = textwrap.wrap(data.node_name(node), LABEL_CHARS, break_long_words=False) or [node]
        weight = "bold" if {"focus", "highlighted"} & node_classes else "normal"
        drawn = node_shape(shape, colour, x, y, size, *((4, "#000000") if strong else ()))
        body.append(f'<g class="node" opacity="{_opacity(tuple(node_classes))}">{drawn}'
                    f'{_text(x, y + size / 2 + TEXT_SIZE + 2, lines, anchor="middle", weight=weight, halo=True)}</g>')
    graph_bottom = high + shift_y + NODE + 4 * TEXT_SIZE * 1.25
    note_lines = [line for note in notes for line in (textwrap.wrap(note, NOTE_CHARS) or [""])]
    notes_svg = _text(MARGIN, graph_bottom + LINE, note_lines) if note_lines else ""
    legend_top = graph_bottom + LINE * (len(note_lines) + 2)
    legend, legend_height = _legend(data, subgraph, used, legend_top, width - 2 * MARGIN)
    height = legend_top + legend_height + MARGIN
    namespace = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    return (f'<svg{namespace} width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" '
            f'role="img" aria-label={quoteattr(title)}>'
            f'<rect width="100%" height="100%" fill="#ffffff"/>'
            f'<g class="title">{_text(MARGIN, MARGIN + TITLE_SIZE, title_lines, size=TITLE_SIZE, weight="bold")}</g>'
            f'<g class="graph">{"".join(body)}</g>{notes_svg}{legend}</svg>')


def scene_notes(data: ExplorerData, scene: Scene) -> list[str]:
    """What a figure of the scene says under the graph: the ranked paths, or the tour step's caption and quote."""
    if scene.tour is not None:
        step = scene.tour
        refs = " ".join(f"[{r}]" for r in step.refs) or "no reference"
        return [step.caption, f"“{step.quote}” ({step.source_label}, section {step.section} {refs})"]
    notes = []
    for i, path in enumerate(scene.paths):
        chain = " → ".join(data.node_name(n) for n in path.nodes)
        notes.append(f"#{i + 1} score {path.score:.2f} ({path.hops} steps): {chain}")
    return notes


def scene_figure(data: ExplorerData, scene: Scene) -> str:
    """The scene as a standalone SVG figure (titled with the view, noted with its paths or tour step)."""
    return figure_svg(data, scene.subgraph, scene.subgraph.title, scene_notes(data, scene))
