"""Shared fixtures: the curated graph, the real Neo4j server and the headless browser.

Services are real. In CI (CI=true) a missing Neo4j or Chromium fails the run; on a laptop the
Neo4j tests may be skipped only with KMOA_SKIP_NEO4J=1, the browser tests with KMOA_SKIP_BROWSER=1.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.model import KnowledgeGraph, load_graph

pytest_plugins = ["tests.browser_fixtures"]

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TINY_DATA = Path(__file__).parent / "fixtures" / "tiny"

# Ids of the tiny fixture graph (tests/fixtures/tiny), used by unit tests.
KETAMINE = "CHEBI:6121"
ESKETAMINE = "CHEBI:60799"
HNK_2R6R = "CHEBI:234441"
NMDA = "GO:0017146"
AMPA = "GO:0032281"
GABA_INTERNEURON = "CL:0011005"
GABA_RELEASE = "GO:0014051"
BDNF = "HGNC:1033"
SYNAPTOGENESIS = "GO:0007416"
ANTIDEPRESSANT_EFFECT = "KMOA:rapid_antidepressant_effect"
TRD = "EFO:0009854"
TRANSFORM_2 = "PMID:31109201"
HYP_DISINHIBITION = "KMOA:hyp_disinhibition"


def opted_out(variable: str) -> bool:
    """A laptop may opt out of a service; CI never may."""
    return os.environ.get(variable) == "1" and not IN_CI


@pytest.fixture(scope="session")
def kg() -> KnowledgeGraph:
    """The full curated graph (read once per session)."""
    return load_graph()


@pytest.fixture(scope="session")
def tiny() -> KnowledgeGraph:
    """The tiny fixture graph of about a dozen nodes."""
    return load_graph(TINY_DATA)


@pytest.fixture(scope="session")
def neo4j_server_info() -> Iterator[object]:
    """A running Neo4j from the default cache; stopped at the end if this session started it."""
    if opted_out("KMOA_SKIP_NEO4J"):
        pytest.skip("KMOA_SKIP_NEO4J=1")
    from loaders import neo4j_server

    already = neo4j_server.status()
    info = already or neo4j_server.start(timeout=240)
    yield info
    if already is None:
        neo4j_server.stop()


@pytest.fixture(scope="session")
def neo4j_driver(neo4j_server_info: object) -> Iterator[object]:
    """An official-driver connection to the test server."""
    import neo4j

    info = neo4j_server_info
    with neo4j.GraphDatabase.driver(info.uri, auth=(info.user, info.password)) as driver:  # type: ignore[attr-defined]
        yield driver
