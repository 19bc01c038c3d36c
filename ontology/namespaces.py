"""kmoa's own IRIs, declared once: the vocabulary, claims, shapes, sources, named graphs and imported edges.

Plain strings, so importing them costs nothing; RDF code wraps them in ``rdflib.Namespace``. The
prefixes of the identifiers kmoa uses (CHEBI, GO, MONDO, ...) are in ``ontology/schema.yaml``.
"""

from __future__ import annotations

BASE = "https://w3id.org/kmoa/"
VOCAB = BASE + "vocab/"
CLAIM = BASE + "claim/"
SHAPES = BASE + "shapes/"
# A curated source (the review, ...): SOURCE + its id.
SOURCE = BASE + "source/"
# Named graphs of a store: the curated graph, one per imported knowledge source, one per import.
CURATED_GRAPH = BASE + "graph/curated"
SOURCE_GRAPH_BASE = BASE + "graph/source/"
IMPORT_GRAPH_BASE = BASE + "graph/import/"
IMPORTED_EDGE_BASE = BASE + "imported-edge/"
# The RDF form of rows (``loaders.formats.row_rdf``): one statement node per edge row; the curated rows
# in one named graph. A row's columns are properties of their own (ROW_COLUMN + column), apart from the
# curated RDF form's vocabulary, so a store holding both answers that form's queries as before.
ROWS_GRAPH = BASE + "graph/rows"
ROW_EDGE_BASE = BASE + "edge/"
ROW_COLUMN = BASE + "row/"

# Other vocabularies the RDF form uses.
BIOLINK = "https://w3id.org/biolink/vocab/"
DCTERMS = "http://purl.org/dc/terms/"
SCHEMA_ORG = "https://schema.org/"


def source_graph(source: str) -> str:
    """Named-graph IRI of one knowledge source, e.g. ``infores:hetionet``."""
    from urllib.parse import quote

    return SOURCE_GRAPH_BASE + quote(source, safe=":")
