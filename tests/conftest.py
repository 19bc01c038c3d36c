"""Shared fixtures: the curated graph, the real Neo4j server and the headless browser.

Services are real. In CI (CI=true) a missing Neo4j or Chromium fails the run; on a laptop the
Neo4j tests may be skipped only with KMOA_SKIP_NEO4J=1, the browser tests with KMOA_SKIP_BROWSER=1.

The test session runs its own Neo4j: a cache folder of its own in a temporary directory (own data,
password, free Bolt port), removed at the end. Only the downloaded jars are shared with the user's
cache (``KMOA_NEO4J_DOWNLOADS``; Maven runs once). ``KMOA_CACHE`` points at the session's folder
and the ``NEO4J_*`` variables are unset for the session, so no code path under test can reach a
server or data folder the user runs, and two concurrent test runs never meet. A detached watchdog
stops the session's server and removes its folder when the test process ends, even if it is killed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kmoa.graph.model import KnowledgeGraph, load_graph

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


NEO4J_CONNECTION_VARIABLES = ("NEO4J_URI", "NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_DATABASE")

WATCHDOG = """
import os, shutil, sys, time
pid, cache, folder = int(sys.argv[1]), sys.argv[2], sys.argv[3]
while True:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        break
    time.sleep(1)
from kmoa import neo4j_server
neo4j_server.stop(cache)
shutil.rmtree(folder, ignore_errors=True)
"""
"""Stops the session's server and removes its folder once the test process is gone, even killed."""


@pytest.fixture(scope="session", autouse=True)
def isolated_neo4j_cache() -> Iterator[Path]:
    """A Neo4j cache folder for this session only; the user's server, data and NEO4J_* stay untouched."""
    from kmoa import neo4j_server

    downloads = os.environ.get("KMOA_NEO4J_DOWNLOADS") or str(neo4j_server.default_cache_dir() / "dist")
    session_dir = Path(tempfile.mkdtemp(prefix="kmoa-test-cache-"))
    subprocess.run(  # a short-lived sh backgrounds the watchdog, so it is not our child
        ["/bin/sh", "-c", '"$@" </dev/null >/dev/null 2>&1 &', "sh",
         sys.executable, "-c", WATCHDOG, str(os.getpid()), str(session_dir / "neo4j"), str(session_dir)],
        cwd=Path(__file__).parent.parent, start_new_session=True, check=True, timeout=30)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KMOA_NEO4J_DOWNLOADS", downloads)
        patch.setenv("KMOA_CACHE", str(session_dir))
        for name in NEO4J_CONNECTION_VARIABLES:
            patch.delenv(name, raising=False)
        try:
            yield neo4j_server.default_cache_dir()
        finally:
            neo4j_server.stop()  # no-op unless this session started its server
            shutil.rmtree(session_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def neo4j_server_info(isolated_neo4j_cache: Path) -> Iterator[object]:
    """This session's own Neo4j (started on first use, stopped with the session cache)."""
    if opted_out("KMOA_SKIP_NEO4J"):
        pytest.skip("KMOA_SKIP_NEO4J=1")
    from kmoa import neo4j_server

    yield neo4j_server.start(isolated_neo4j_cache, timeout=240)


@pytest.fixture(scope="session")
def neo4j_driver(neo4j_server_info: object) -> Iterator[object]:
    """An official-driver connection to the test server."""
    import neo4j

    info = neo4j_server_info
    with neo4j.GraphDatabase.driver(info.uri, auth=(info.user, info.password)) as driver:  # type: ignore[attr-defined]
        yield driver
