"""Canvas stylesheet, colour-blind-safe palette and the legend: node kinds by colour AND shape.

Colours are the Okabe–Ito palette (safe for the common colour-vision deficiencies); every node kind
also has its own (colour, shape) pair so kinds stay distinguishable in greyscale prints. Edges are
styled by predicate effect (activating: green line with a triangle arrow; inhibiting: vermillion
line with a tee; clinical and regulatory findings such as treats: blue with a diamond; structural:
grey dotted), by evidence strength (width; dashed when weak) and by
finding (null/negative drawn black with a circle end; contested/mixed dash-dotted).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kmoa.ontology.schema import Schema

# Okabe, M. & Ito, K. (2008) Color Universal Design, plus a neutral grey.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "grey": "#999999",
}

# Node kind -> (Okabe–Ito colour name, Cytoscape.js shape). Every pair is distinct.
NODE_KIND_STYLE: dict[str, tuple[str, str]] = {
    "compound": ("orange", "round-hexagon"),
    "receptor": ("sky_blue", "round-diamond"),
    "gene": ("sky_blue", "ellipse"),
    "cell_type": ("bluish_green", "ellipse"),
    "brain_region": ("bluish_green", "round-triangle"),
    "process": ("blue", "round-rectangle"),
    "pathway": ("blue", "rhomboid"),
    "outcome": ("reddish_purple", "round-pentagon"),
    "disease": ("vermillion", "round-octagon"),
    "adverse_effect": ("vermillion", "round-triangle"),
    "intervention": ("yellow", "barrel"),
    "guideline": ("yellow", "round-tag"),
    "regulatory_action": ("black", "concave-hexagon"),
    "study": ("grey", "rectangle"),
    "hypothesis": ("reddish_purple", "star"),
}
FALLBACK_STYLE = ("grey", "ellipse")

EFFECT_STYLE: dict[str, dict[str, str]] = {
    "activating": {"colour": OKABE_ITO["bluish_green"], "arrow": "triangle", "line": "solid"},
    "inhibiting": {"colour": OKABE_ITO["vermillion"], "arrow": "tee", "line": "solid"},
    "structural": {"colour": OKABE_ITO["grey"], "arrow": "vee", "line": "dotted"},
}
# Clinical and regulatory edges (treats, studied to treat, beneficial in models for: the schema's walk.clinical).
CLINICAL_COLOUR = OKABE_ITO["blue"]
# Below this evidence strength an edge is "weak" and drawn dashed (animal, review, case report, hypothesis).
WEAK_STRENGTH = 0.5

# CSS clip-paths drawing the same shapes in the HTML legend.
SHAPE_CLIP: dict[str, str] = {
    "round-hexagon": "polygon(25% 0, 75% 0, 100% 50%, 75% 100%, 25% 100%, 0 50%)",
    "round-diamond": "polygon(50% 0, 100% 50%, 50% 100%, 0 50%)",
    "round-triangle": "polygon(50% 0, 100% 100%, 0 100%)",
    "rhomboid": "polygon(25% 0, 100% 0, 75% 100%, 0 100%)",
    "round-pentagon": "polygon(50% 0, 100% 38%, 81% 100%, 19% 100%, 0 38%)",
    "round-octagon": "polygon(30% 0, 70% 0, 100% 30%, 100% 70%, 70% 100%, 30% 100%, 0 70%, 0 30%)",
    "round-tag": "polygon(0 0, 70% 0, 100% 50%, 70% 100%, 0 100%)",
    "concave-hexagon": "polygon(0 0, 100% 0, 82% 50%, 100% 100%, 0 100%, 18% 50%)",
    "star": "polygon(50% 0, 61% 35%, 98% 35%, 68% 57%, 79% 91%, 50% 70%, 21% 91%, 32% 57%, 2% 35%, 39% 35%)",
}
SHAPE_RADIUS: dict[str, str] = {"ellipse": "50%", "round-rectangle": "3px", "barrel": "40% / 25%"}


def kind_style(kind: str) -> tuple[str, str]:
    """(hex colour, shape) of a node kind."""
    colour, shape = NODE_KIND_STYLE.get(kind, FALLBACK_STYLE)
    return OKABE_ITO[colour], shape


@dataclass(frozen=True)
class LegendEntry:
    """One row of the legend."""

    key: str
    label: str
    colour: str
    shape: str


def node_legend(schema: Schema, kinds: list[str] | None = None) -> list[LegendEntry]:
    """Legend rows for node kinds (all kinds of the schema, or only those given), in schema order."""
    wanted = schema.node_kinds if kinds is None else [k for k in schema.node_kinds if k in set(kinds)]
    out = []
    for name in wanted:
        colour, shape = kind_style(name)
        out.append(LegendEntry(name, schema.node_kinds[name].label, colour, shape))
    return out


# Edges from an imported public graph (``kmoa explore --import``): purple, never a curated colour.
IMPORTED_COLOUR = "#7B4FA0"
IMPORTED_SOURCES_SHOWN = 3


def edge_legend(imported_sources: Sequence[str] | None = None) -> list[dict[str, str]]:
    """Legend rows for edge styles: effect arrows, weak evidence, negative and contested findings.

    With ``imported_sources`` (an imported graph's knowledge sources) a row for imported edges too.
    """
    rows = [
        {"key": "activating", "label": "activates / increases (arrow)", "colour": EFFECT_STYLE["activating"]["colour"],
         "line": "solid", "end": "▶"},
        {"key": "inhibiting", "label": "inhibits / blocks (tee)",
         "colour": EFFECT_STYLE["inhibiting"]["colour"], "line": "solid", "end": "┤"},
        {"key": "clinical", "label": "treats / studied to treat (clinical or regulatory; diamond)",
         "colour": CLINICAL_COLOUR, "line": "solid", "end": "◆"},
        {"key": "structural", "label": "structural (located in, tested in, ...)",
         "colour": EFFECT_STYLE["structural"]["colour"], "line": "dotted", "end": "›"},
        {"key": "weak", "label": f"weak evidence (strength < {WEAK_STRENGTH}); width = strength",
         "colour": "#555555", "line": "dashed", "end": ""},
        {"key": "negative", "label": "NOT so: the review negates it (null or negative finding)",
         "colour": OKABE_ITO["black"], "line": "dashed", "end": "●"},
        {"key": "contested", "label": "not asserted: contested, mixed or insufficient evidence", "colour": "#555555",
         "line": "double", "end": ""},
        {"key": "inferred", "label": "curator inference, not stated in the review", "colour": "#555555",
         "line": "dotted", "end": ""},
    ]
    if imported_sources is not None:
        shown = ", ".join(imported_sources[:IMPORTED_SOURCES_SHOWN])
        more = f", +{len(imported_sources) - IMPORTED_SOURCES_SHOWN} more" if len(
            imported_sources) > IMPORTED_SOURCES_SHOWN else ""
        rows.append({"key": "imported", "label": f"imported edge ({shown}{more}); not curated",
                     "colour": IMPORTED_COLOUR, "line": "dashed", "end": "›"})
    return rows


def swatch_style(colour: str, shape: str, size: int = 14) -> dict[str, str]:
    """Inline CSS for a legend swatch drawing a node shape in its colour."""
    style = {"display": "inline-block", "width": f"{size}px", "height": f"{size}px", "background": colour,
             "flex": "none"}
    if shape in SHAPE_CLIP:
        style["clipPath"] = SHAPE_CLIP[shape]
    elif shape in SHAPE_RADIUS:
        style["borderRadius"] = SHAPE_RADIUS[shape]
    return style


def stylesheet(schema: Schema) -> list[dict[str, Any]]:
    """The Cytoscape.js stylesheet: one rule per node kind and predicate effect, then state classes."""
    rules: list[dict[str, Any]] = [
        {"selector": "node", "style": {
            "label": "data(label)", "font-size": 15, "font-family": "Helvetica Neue, Helvetica, Arial, sans-serif",
            "color": "#1b1f24", "text-valign": "bottom", "text-halign": "center", "text-margin-y": 4,
            "text-wrap": "wrap", "text-max-width": 120, "width": 26, "height": 26,
            "text-outline-color": "#ffffff", "text-outline-width": 2, "text-outline-opacity": 0.9,
            "border-width": 1, "border-color": "#33383f", "min-zoomed-font-size": 5}},
    ]
    for kind in schema.node_kinds:
        colour, shape = kind_style(kind)
        rules.append({"selector": f".kind-{kind}", "style": {"background-color": colour, "shape": shape}})
    rules.append({"selector": "node.kind-study", "style": {"width": 16, "height": 16, "font-size": 13}})
    rules.append({"selector": "node.kind-hypothesis", "style": {"width": 30, "height": 30}})
    rules += [
        {"selector": "edge", "style": {
            "curve-style": "bezier", "width": "mapData(strength, 0, 1, 1.2, 6)", "line-color": "#999999",
            "target-arrow-color": "#999999", "target-arrow-shape": "vee", "arrow-scale": 1.1, "opacity": 0.85,
            "font-size": 9, "color": "#2d333b", "text-rotation": "autorotate", "text-background-color": "#ffffff",
            "text-background-opacity": 0.85, "text-background-padding": 2, "min-zoomed-font-size": 6}},
    ]
    for effect, spec in EFFECT_STYLE.items():
        rules.append({"selector": f".effect-{effect}", "style": {
            "line-color": spec["colour"], "target-arrow-color": spec["colour"], "target-arrow-shape": spec["arrow"],
            "line-style": spec["line"]}})
    rules += [
        {"selector": "edge.effect-structural", "style": {"width": 1.5, "arrow-scale": 0.8}},
        {"selector": "edge.clinical", "style": {
            "line-color": CLINICAL_COLOUR, "target-arrow-color": CLINICAL_COLOUR, "target-arrow-shape": "diamond",
            "line-style": "solid", "arrow-scale": 1.3}},
        {"selector": ".weak.effect-activating, .weak.effect-inhibiting", "style": {
            "line-style": "dashed", "line-dash-pattern": [7, 4]}},
        {"selector": ".contested", "style": {"line-style": "dashed", "line-dash-pattern": [8, 3, 2, 3]}},
        {"selector": ".negative", "style": {
            "line-color": OKABE_ITO["black"], "target-arrow-color": OKABE_ITO["black"], "target-arrow-shape": "circle",
            "line-style": "dashed", "line-dash-pattern": [3, 3]}},
        {"selector": "edge.inferred", "style": {"line-style": "dotted", "opacity": 0.7}},
        {"selector": "edge.imported", "style": {
            "line-color": IMPORTED_COLOUR, "target-arrow-color": IMPORTED_COLOUR, "target-arrow-shape": "vee",
            "line-style": "dashed", "line-dash-pattern": [12, 4], "width": 2.5}},
        {"selector": "node.imported-node", "style": {"border-style": "dashed", "border-width": 2,
                                                     "border-color": IMPORTED_COLOUR}},
        {"selector": ".show-label", "style": {"label": "data(label)"}},
        # View states.
        {"selector": ".focus", "style": {"width": 40, "height": 40, "border-width": 3, "border-color": "#000000",
                                         "font-size": 17, "font-weight": "bold"}},
        {"selector": "node.expanded", "style": {"border-width": 3, "border-style": "double"}},
        {"selector": "node.layered", "style": {"width": 34, "height": 34, "font-size": 14, "text-max-width": 130}},
        {"selector": "edge.show-label, edge.highlighted", "style": {"font-size": 12}},
        {"selector": ".faded", "style": {"opacity": 0.38}},
        {"selector": ".future", "style": {"opacity": 0.45}},  # muted, still readable from a projector
        {"selector": "node.highlighted", "style": {"border-width": 4, "border-color": "#000000", "opacity": 1,
                                                   "font-weight": "bold", "z-index": 20}},
        {"selector": "edge.highlighted", "style": {"width": "mapData(strength, 0, 1, 4, 9)", "opacity": 1,
                                                   "z-index": 20, "label": "data(label)", "font-size": 13}},
        {"selector": "node.current", "style": {"border-width": 5, "border-color": OKABE_ITO["yellow"],
                                               "underlay-color": "#000000", "underlay-opacity": 0.12,
                                               "underlay-padding": 8}},
        {"selector": "edge.current", "style": {"underlay-color": OKABE_ITO["yellow"], "underlay-opacity": 0.6,
                                               "underlay-padding": 6}},
        {"selector": "node.matched", "style": {"border-width": 4, "border-color": OKABE_ITO["blue"],
                                               "underlay-color": OKABE_ITO["sky_blue"], "underlay-opacity": 0.35,
                                               "underlay-padding": 8}},
        {"selector": ":selected", "style": {"overlay-color": OKABE_ITO["blue"], "overlay-opacity": 0.18,
                                            "overlay-padding": 6}},
        {"selector": "edge:selected", "style": {"label": "data(label)", "font-size": 11}},
        # Hovering an edge names it; hovering a node rings it (the tooltip says the rest).
        {"selector": "edge.hover", "style": {"label": "data(label)", "font-size": 15, "z-index": 30, "opacity": 1}},
        {"selector": "node.hover", "style": {"underlay-color": OKABE_ITO["blue"], "underlay-opacity": 0.2,
                                             "underlay-padding": 6}},
    ]
    return rules
