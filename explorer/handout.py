"""A hypothesis tour as one self-contained HTML handout: every step's figure, caption, quote and references.

The figures are inline SVG and the styles inline, so the file opens offline and requests nothing; a
print stylesheet puts one step on each page. Every text from the data is escaped.
"""

from __future__ import annotations

from html import escape

from kmoa.explorer.data import ExplorerData
from kmoa.explorer.figure import figure_svg
from kmoa.explorer.views import finding_flags, source_label, tour_step, tour_view

STYLE = """
body { font-family: "Helvetica Neue", Helvetica, Arial, sans-serif; color: #1b1f24; margin: 2em auto;
  max-width: 1100px; padding: 0 1em; line-height: 1.45; }
h1 { font-size: 1.8em; margin: 0 0 .3em; }
h2 { font-size: 1.35em; margin: 0 0 .6em; }
.meta, .refs { color: #4a525c; font-size: .95em; }
.step { border-top: 2px solid #d0d7de; padding-top: 1.2em; margin-top: 2em; }
figure { margin: 0 0 1em; }
figure svg { width: 100%; height: auto; }
figcaption { font-size: 1.15em; font-weight: bold; margin-top: .4em; }
blockquote { margin: .8em 0; padding: .6em 1em; border-left: 4px solid #0072B2; background: #f3f6f9;
  font-size: 1.05em; }
.flag { font-weight: bold; color: #8a3b00; }
@page { margin: 14mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 11pt; }
  .step { border-top: none; margin-top: 0; padding-top: 0; break-inside: avoid; }
  .step { break-before: page; page-break-before: always; }
  figure svg { max-height: 45vh; }
  blockquote { background: none; }
}
"""


def tour_handout(data: ExplorerData, hypothesis: str) -> str:
    """The tour of ``hypothesis`` as an HTML page: the route's statement, then each step on its own printed page.

    Printed, the statement is the cover page and every step starts a page of its own.
    """
    kg = data.kg
    hyp = kg.hypotheses[hypothesis]
    prov = hyp.provenance
    source = kg.sources.get(prov.source)
    label = source_label(kg, prov.source)
    route = (f"Route {hyp.route} of {source.route_figure or label}" if hyp.route and source is not None
             else f"A route of action discussed in {label}")
    head = [f"<h1>{escape(hyp.name)}</h1>",
            f'<p class="meta">{escape(route)} · {len(hyp.steps)} steps · '
            f"ketamine mechanisms of action (kmoa), from one review</p>"]
    if hyp.description:
        head.append(f"<p>{escape(hyp.description)}</p>")
    head.append(f"<blockquote>“{escape(prov.quote)}”</blockquote>"
                f'<p class="refs">{escape(label)}, section {escape(prov.section)} {_refs(prov.refs)}</p>')
    steps = []
    for i in range(len(hyp.steps)):
        step = tour_step(kg, hyp, i)
        sub = tour_view(data, hyp.id, i)
        figure = figure_svg(data, sub, sub.title, standalone=False)
        ev = kg.schema.evidence_types.get(step.evidence_type)
        flags = [f["text"] for f in finding_flags(kg, step.finding, step.contested)]
        if step.inferred:
            flags.append("INFERRED: a curator inference, not stated in the review"
                         + (f" — {step.note}" if step.note else ""))
        claim = f"{data.node_name(step.subject)} — {step.predicate_label} → {data.node_name(step.object)}"
        steps.append(
            f'<section class="step" id="step-{i + 1}">'
            f"<h2>Step {i + 1} of {step.total}</h2>"
            f"<figure>{figure}<figcaption>{escape(step.caption)}</figcaption></figure>"
            + "".join(f'<p class="flag">{escape(text)}</p>' for text in flags)
            + f"<blockquote>“{escape(step.quote)}”</blockquote>"
            f'<p class="refs">{escape(claim)} · {escape(ev.label if ev else step.evidence_type)}, '
            f"{escape(kg.schema.species_label(step.species))} · {escape(step.source_label)}, "
            f"section {escape(step.section)} {_refs(step.refs)}</p></section>")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{escape(hyp.name)} · kmoa tour handout</title><style>{STYLE}</style></head>"
            f"<body><header>{''.join(head)}</header>{''.join(steps)}</body></html>\n")


def _refs(refs: tuple[int, ...]) -> str:
    return "references " + " ".join(f"[{r}]" for r in refs) if refs else "(no reference cited)"
