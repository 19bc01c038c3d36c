"""Public web pages for identifiers: ChEBI, HGNC, QuickGO, OLS (MONDO, EFO, UBERON, CL), HPO, PubMed, DOI, ..."""

from __future__ import annotations

import re
from urllib.parse import quote

# Prefix -> URL template; {id} is the local part, {curie} the whole CURIE (both URL-quoted).
LINK_TEMPLATES: dict[str, str] = {
    "CHEBI": "https://www.ebi.ac.uk/chebi/searchId.do?chebiId=CHEBI:{id}",
    "HGNC": "https://www.genenames.org/data/gene-symbol-report/#!/hgnc_id/HGNC:{id}",
    "GO": "https://www.ebi.ac.uk/QuickGO/term/GO:{id}",
    "MONDO": "https://www.ebi.ac.uk/ols4/ontologies/mondo/classes?obo_id=MONDO:{id}",
    "EFO": "https://www.ebi.ac.uk/ols4/ontologies/efo/classes?obo_id=EFO:{id}",
    "HP": "https://hpo.jax.org/browse/term/HP:{id}",
    "UBERON": "https://www.ebi.ac.uk/ols4/ontologies/uberon/classes?obo_id=UBERON:{id}",
    "CL": "https://www.ebi.ac.uk/ols4/ontologies/cl/classes?obo_id=CL:{id}",
    "DOID": "https://www.ebi.ac.uk/ols4/ontologies/doid/classes?obo_id=DOID:{id}",
    "NCIT": "https://www.ebi.ac.uk/ols4/ontologies/ncit/classes?obo_id=NCIT:{id}",
    "ECO": "https://www.ebi.ac.uk/ols4/ontologies/eco/classes?obo_id=ECO:{id}",
    "PMID": "https://pubmed.ncbi.nlm.nih.gov/{id}/",
    "PMC": "https://www.ncbi.nlm.nih.gov/pmc/articles/{id}/",
    "DOI": "https://doi.org/{id}",
    "PUBCHEM.COMPOUND": "https://pubchem.ncbi.nlm.nih.gov/compound/{id}",
    "DRUGBANK": "https://go.drugbank.com/drugs/{id}",
    "MESH": "https://meshb.nlm.nih.gov/record/ui?ui={id}",
    "UniProtKB": "https://www.uniprot.org/uniprotkb/{id}/entry",
    "NCBIGene": "https://www.ncbi.nlm.nih.gov/gene/{id}",
    "biolink": "https://biolink.github.io/biolink-model/{id}/",
}
SAFE_LOCAL = re.compile(r"^[A-Za-z0-9._\-/:()]+$")


def link_for(curie: str) -> str | None:
    """An https URL of the identifier's public page, or None (project KMOA ids have none)."""
    if ":" not in curie:
        return None
    prefix, local = curie.split(":", 1)
    template = LINK_TEMPLATES.get(prefix)
    if template is None or not local or not SAFE_LOCAL.match(local):
        return None
    if prefix == "PMC" and not local.upper().startswith("PMC"):
        local = f"PMC{local}"
    return template.format(id=quote(local, safe="/:()._-"))
