"""docs/tutorial.ipynb runs top to bottom, and its committed outputs are what a fresh run shows.

The notebook runs in a Jupyter kernel of this test environment's Python (nbclient), against a
`kmoa serve sparql` started here on a free loopback port and the session's own Neo4j, reached
through the variables the notebook documents (KMOA_SPARQL_ENDPOINT, NEO4J_URI, NEO4J_USER,
NEO4J_PASSWORD). The fresh outputs must match the committed ones in kind, cell by cell: tables
(text/html), figures (image/png) and printed text (streams); their bytes differ from run to run.
The executed notebook is written to the test's temporary folder (``tutorial.ipynb``).

The notebook's Neo4j cells meet a warm server, as a user's running one is: before the kernel
starts, the test loads the curated graph once and traces the same Cypher paths. On a server just
started (or restarted by a bulk reload) the first load compiles every write query and waits for the
indexes, about a minute at a load average of 14 against 10-20 s warm; the cells still do all of
their work, each within ``CELL_TIMEOUT`` (a hung cell fails the test then).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

from tests.servers import snapshot, start_endpoint, stop_endpoint

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "docs" / "tutorial.ipynb"
KERNEL = "kmoa-test-python"
# Seconds one cell may run: the slowest, the Neo4j load, takes 10-20 s on a warm server at load average 14.
CELL_TIMEOUT = 120

pytestmark = pytest.mark.neo4j


def output_kinds(cell: Any) -> list[str]:
    """What a code cell shows, in order: stream:NAME, error, or the richest MIME type of a display."""
    kinds: list[str] = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            kind = f"stream:{output['name']}"
        elif output["output_type"] == "error":
            kind = "error"
        else:
            data = output.get("data", {})
            kind = next((m for m in ("image/png", "text/html", "text/plain") if m in data), "other")
        if not kinds or kinds[-1] != kind:  # a kernel may split one print into several stream chunks
            kinds.append(kind)
    return kinds


def code_cells(notebook: Any) -> list[Any]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def install_kernel(folder: Path) -> Path:
    """A kernelspec for this interpreter in a folder of its own (put first on JUPYTER_PATH)."""
    spec = folder / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "kmoa tests (Python 3)",
        "language": "python",
    }))
    return folder


def test_committed_notebook_has_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    cells = code_cells(notebook)
    assert cells, "the notebook has no code cells"
    unrun = [i for i, cell in enumerate(cells, 1) if cell.get("execution_count") is None]
    assert not unrun, f"code cells {unrun} of {NOTEBOOK.name} were committed without being run"
    kinds = [kind for cell in cells for kind in output_kinds(cell)]
    assert "error" not in kinds
    assert kinds.count("image/png") >= 3, "the bar chart, the study plot and the tour figure are committed"
    assert kinds.count("text/html") >= 5, "the DataFrames are committed as tables"


def warm_up(driver: Any) -> None:
    """What the notebook asks of Neo4j, once: its write and read queries compiled, its indexes online."""
    from kmoa.graph.model import load_graph
    from kmoa.loaders.stores import neo4j as nl

    kg = load_graph()
    nl.load_graph(driver, kg, progress=False)
    nl.trace_paths_cypher(driver, kg.resolve("ketamine"), kg.resolve("treatment-resistant depression"), k=10)


def test_notebook_runs_and_matches_committed_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     neo4j_server_info: Any, neo4j_driver: Any) -> None:
    committed = nbformat.read(NOTEBOOK, as_version=4)
    warm_up(neo4j_driver)
    endpoint = start_endpoint("memory", tmp_path / "sparql.log", snapshot(tmp_path), timeout=20.0, limit=10_000)
    try:
        jupyter = install_kernel(tmp_path / "jupyter")
        for name, value in {
            "KMOA_SPARQL_ENDPOINT": endpoint.sparql,
            "NEO4J_URI": neo4j_server_info.uri,
            "NEO4J_USER": neo4j_server_info.user,
            "NEO4J_PASSWORD": neo4j_server_info.password,
            "JUPYTER_PATH": os.pathsep.join(filter(None, [str(jupyter), os.environ.get("JUPYTER_PATH")])),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("NEO4J_DATABASE", raising=False)
        fresh = nbformat.read(NOTEBOOK, as_version=4)
        client = NotebookClient(fresh, kernel_name=KERNEL, timeout=CELL_TIMEOUT, allow_errors=True,
                                resources={"metadata": {"path": str(ROOT / "docs")}})
        client.execute()
    finally:
        stop_endpoint(endpoint)
    fresh.metadata["kernelspec"] = committed.metadata["kernelspec"]
    nbformat.write(fresh, tmp_path / "tutorial.ipynb")

    errors = [(i, output.get("ename"), output.get("evalue"))
              for i, cell in enumerate(code_cells(fresh), 1)
              for output in cell.outputs if output["output_type"] == "error"]
    assert not errors, f"cells failed (see {tmp_path / 'tutorial.ipynb'}): {errors}"
    assert [cell.source for cell in code_cells(fresh)] == [cell.source for cell in code_cells(committed)]
    mismatched = [(i, output_kinds(old), output_kinds(new))
                  for i, (old, new) in enumerate(zip(code_cells(committed), code_cells(fresh), strict=True), 1)
                  if output_kinds(old) != output_kinds(new)]
    assert not mismatched, f"code cells whose outputs differ in kind (cell, committed, fresh): {mismatched}"
    printed = "".join(output.get("text", "") for cell in code_cells(fresh) for output in cell.outputs
                      if output["output_type"] == "stream")
    assert "same 10 best paths as the Python API: True" in printed, "SPARQL and Cypher paths agree with Python"
    assert printed.count("same 10 best paths as the Python API: True") == 2
