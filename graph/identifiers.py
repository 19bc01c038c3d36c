r"""CURIE checks: an identifier is written into a store only if its local part fits its prefix.

Every write path (the curated data, KGX imports into Oxigraph, N-Quads, Turtle and Neo4j) checks
identifiers here, so that no id can close an IRI early and smuggle in triples of its own
(``CHEBI:1><https://...>...``) or break a serialisation.

Two rules, both must hold:

* ``SAFE_LOCAL``: the local part is printable ASCII from the IRI-safe set (letters, digits and
  ``-._~:/?@!$&'()*+,;=%``). It forbids whitespace, control characters, ``<>"{}|^`\`` and ``#``
  (a fragment would change which resource an expanded IRI names), and so also every escape
  (``\u003E``) that a parser would turn back into one of them.
* ``PATTERNS``: for a known prefix (compared case-insensitively), the local part must match the
  prefix's pattern. The table is derived from the Bioregistry (https://bioregistry.io, CC0,
  release 0.15.6) for the prefixes kmoa declares and those common in KGX graphs; ``KMOA`` and
  ``chebi_rel`` are kmoa's own. A prefix not in the table is checked by ``SAFE_LOCAL`` alone.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
SAFE_LOCAL = re.compile(r"[A-Za-z0-9\-._~:/?@!$&'()*+,;=%]+")

# prefix (any case) -> pattern of the local part, from the Bioregistry's "pattern" fields.
PATTERNS: dict[str, str] = {
    "KMOA": r"[A-Za-z0-9][A-Za-z0-9_.-]*",
    "chebi_rel": r"[a-z][a-z_]*",
    "biolink": r"[A-Za-z][A-Za-z0-9_]*",
    "infores": r"[a-z0-9-_.]+",
    "CHEBI": r"\d+",
    "GO": r"\d{7}",
    "HGNC": r"\d{1,5}",
    "MONDO": r"\d{7}",
    "EFO": r"\d{7}",
    "HP": r"\d{7}",
    "UBERON": r"\d+",
    "CL": r"\d{7}",
    "DOID": r"\d+",
    "RO": r"(HOM)?\d{7}",
    "BFO": r"\d{7}",
    "SO": r"\d{7}",
    "OBI": r"\d{7}",
    "IAO": r"\d{7}",
    "ECO": r"\d{7}",
    "NCIT": r"(C|R|P|A|NHC)\d+",
    "PMID": r"\d+",
    "DOI": r"10\.\d{2,9}/.+",
    "PMC": r"PMC\d+(\.\d+)?",
    "MESH": r"(C|D|Q)\d+",
    "PUBCHEM.COMPOUND": r"\d+",
    "DRUGBANK": r"DB\d{5}",
    "UniProtKB": r"([OPQ]\d[A-Z0-9]{3}\d|[A-NR-Z]\d([A-Z][A-Z0-9]{2}\d){1,2})(-\d+)?",  # isoforms too
    "NCBIGene": r"\d+",
    "NCBITaxon": r"\d+|[a-zA-Z_]+",
    "REACT": r"R-[A-Z]{3}-\d+(-\d+)?(\.\d+)?",
    "UMLS": r"C\d+",
    "DrugCentral": r"\d+",
    "CHEMBL.COMPOUND": r"CHEMBL\d+",
    "CHEMBL.TARGET": r"CHEMBL\d+",
    "KEGG.COMPOUND": r"C\d+",
    "PR": r"\d{9}|[OPQ][0-9][A-Z0-9]{3}[0-9](-\d+)?|[A-NR-Z][0-9]([A-Z][A-Z0-9]{2}[0-9]){1,2}(-\d+)?",
    "OMIM": r"\d+",
    "ORPHANET": r"C?\d+",
    "MEDDRA": r"\d+",
    "RXCUI": r"[0-9]{1,7}",
    "INCHIKEY": r"[A-Z]{14}-[A-Z]{10}(-[A-Z])?",
    "CAS": r"\d{1,7}-\d{2}-\d",
    "UNII": r"[A-Z0-9]+",
    "PATO": r"\d{7}",
    "FMA": r"\d+",
    "ZFIN": r"ZDB-\w+-\d+-\d+",
    "MGI": r"\d+",
    "RGD": r"\d{4,}",
    "HMDB": r"HMDB\d+",
    "INTERPRO": r"IPR\d{6}",
    "PFAM": r"PF\d{5}",
    "WIKIPATHWAYS": r"WP\d{1,5}(_r\d+)?",
    "KEGG.PATHWAY": r"\w{2,4}\d{5}",
    "PANTHER.FAMILY": r"PTHR\d{5}(:SF\d{1,3})?",
    "GENO": r"\d{7}",
    "MAXO": r"\d{7}",
    "ENVO": r"\d{7,8}",
}


class InvalidIdentifier(ValueError):
    """An identifier that is not a CURIE whose local part fits its prefix."""


@cache
def _pattern(prefix: str) -> re.Pattern[str] | None:
    table = {p.casefold(): re.compile(r) for p, r in PATTERNS.items()}
    return table.get(prefix.casefold())


def curie_problem(curie: str) -> str | None:
    """Why ``curie`` may not be written into a store, or None when it may."""
    prefix, colon, local = curie.partition(":")
    if not colon or not PREFIX.fullmatch(prefix):
        return f"'{_shown(curie)}' is not a CURIE (prefix:local)"
    if not local or not SAFE_LOCAL.fullmatch(local):
        return (f"'{_shown(curie)}' has characters an identifier may not hold (allowed after the prefix: "
                "letters, digits and -._~:/?@!$&'()*+,;=%; no spaces, quotes, <>, #, \\ or control characters)")
    pattern = _pattern(prefix)
    if pattern is not None and not pattern.fullmatch(local):
        return f"'{_shown(curie)}' does not match the {prefix} pattern {pattern.pattern}"
    return None


def check_curie(curie: str) -> str:
    """Return ``curie`` if it may be written into a store; InvalidIdentifier (naming it) otherwise."""
    problem = curie_problem(curie)
    if problem is not None:
        raise InvalidIdentifier(problem)
    return curie


def _shown(text: str, width: int = 120) -> str:
    """The identifier as a message can show it: escapes for control characters, cut if long."""
    shown = text.encode("unicode_escape").decode("ascii")
    return shown if len(shown) <= width else shown[:width] + "..."


def normalise_name(text: str) -> str:
    """Lower-case, accent- and punctuation-insensitive form used for name look-up."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()
