"""Namespaces and closed vocabularies are declared once; copies kept for typing or syntax must agree.

``ontology/namespaces.py`` declares kmoa's own IRIs, ``ontology/schema.yaml`` the identifier
prefixes and the closed vocabularies. The ``Literal`` types in ``graph/records.py`` stay for mypy;
these tests fail, naming the difference, when either side changes alone.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest

from kmoa.graph import records
from kmoa.graph.sparql import PREFIX_MAP
from kmoa.ontology import namespaces
from kmoa.ontology.schema import Schema, load_schema

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("graph", "ontology", "loaders", "explorer", "kmoa")


@pytest.fixture(scope="module")
def schema() -> Schema:
    return load_schema()


@pytest.mark.parametrize(("literal", "vocabulary"), [
    ("EvidenceTypeName", "evidence_types"),
    ("Species", "species"),
    ("Finding", "findings"),
    ("ComparisonResult", "comparison_results"),
    ("LineOfTherapy", "lines_of_therapy"),
])
def test_record_literals_match_the_schema(schema: Schema, literal: str, vocabulary: str) -> None:
    typed = list(get_args(getattr(records, literal)))
    declared = list(getattr(schema, vocabulary))
    assert typed == declared, (f"graph/records.py {literal} {typed} differs from ontology/schema.yaml "
                               f"{vocabulary} {declared}: the schema is the source, update the Literal")


def test_schema_prefixes_agree_with_the_namespaces(schema: Schema) -> None:
    assert schema.prefixes["KMOA"] == namespaces.BASE
    assert schema.prefixes["biolink"] == namespaces.BIOLINK


def test_sparql_prefixes_agree_with_the_schema(schema: Schema) -> None:
    own = {"kmoa": namespaces.VOCAB, "claim": namespaces.CLAIM}
    w3c = {"rdf", "rdfs", "skos", "xsd"}
    for prefix, iri in PREFIX_MAP.items():
        if prefix in w3c:
            continue
        expected = own.get(prefix, schema.prefixes.get(prefix))
        assert iri == expected, f"SPARQL PREFIX {prefix}: <{iri}> but the declared namespace is {expected}"


def test_kmoa_iris_are_spelled_only_in_the_namespaces_module() -> None:
    spelled = re.compile(r"https?://w3id\.org/kmoa/")
    found = [f"{path.relative_to(ROOT)}:{number}"
             for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
             if path != ROOT / "ontology" / "namespaces.py"
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if spelled.search(line)]
    assert not found, "kmoa IRIs spelled outside ontology/namespaces.py: " + ", ".join(found)
