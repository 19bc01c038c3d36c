"""The command line never destroys a user's files and answers every user error with one line.

Outputs: `kmoa build` and `kmoa export` write only into new or empty folders, or folders holding
their own `.kmoa-output` marker; any other folder is refused (naming it and `--force`), and even with
`--force` only kmoa's own entries are replaced. A failure leaves nothing behind.

Errors: a usage error (a bad option value) exits 2, a failure exits 1, each with one line
`Error: ...` and no traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kmoa.cli import main
from kmoa.loaders.base import OUTPUT_MARKER, OutputError, atomic_path, output_path
from kmoa.loaders.registry import export
from tests.conftest import TINY_DATA

REPO = Path(__file__).resolve().parents[1]
TINY = ["--data", str(TINY_DATA)]


def one_line_error(args: list[str], code: int) -> str:
    """Run kmoa; assert it exits ``code`` with exactly one line `Error: ...` and no exception escaped."""
    result = CliRunner().invoke(main, args)
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def engine_error(args: list[str]) -> str:
    """Run kmoa; assert it exits 1 with `Error: ...` first and no traceback (an engine's message may wrap)."""
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.output.startswith("Error: ") and "Traceback" not in result.output, result.output
    return result.output


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (relative paths)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def hidden_leftovers(folder: Path) -> list[str]:
    """Names of hidden entries (temporary folders) in ``folder``, the marker aside."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.name != OUTPUT_MARKER)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A user's folder with files kmoa did not write."""
    folder = tmp_path / "myproject"
    (folder / "src").mkdir(parents=True)
    (folder / "notes.txt").write_text("my notes\n", encoding="utf-8")
    (folder / "src" / "analysis.py").write_text("print('mine')\n", encoding="utf-8")
    return folder


# ---------------------------------------------------------------- outputs that never destroy


def test_export_into_the_current_folder_with_other_files_is_refused_and_they_survive(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(project)
    monkeypatch.chdir(project)
    message = one_line_error(["export", "kgx", str(project), *TINY], 1)
    assert str(project) in message and "--force" in message
    assert snapshot(project) == before
    assert hidden_leftovers(project) == [] and hidden_leftovers(project.parent) == []


def test_export_with_force_adds_its_files_and_keeps_the_others(project: Path) -> None:
    before = snapshot(project)
    result = CliRunner().invoke(main, ["export", "kgx", str(project), "--force", *TINY])
    assert result.exit_code == 0, result.output
    after = snapshot(project)
    assert {k: after[k] for k in before} == before
    assert {"nodes.tsv", "edges.tsv", OUTPUT_MARKER} <= set(after)
    listed = (project / OUTPUT_MARKER).read_text(encoding="utf-8")
    assert "nodes.tsv" in listed and "notes.txt" not in listed and "src" not in listed
    # The marker now makes the folder kmoa's for its own entries: no --force needed, others still kept.
    again = CliRunner().invoke(main, ["export", "kgx", str(project), *TINY])
    assert again.exit_code == 0, again.output
    assert {k: snapshot(project)[k] for k in before} == before
    assert hidden_leftovers(project.parent) == []


def test_force_replaces_only_what_kmoa_writes(project: Path) -> None:
    (project / "nodes.tsv").write_text("an old nodes.tsv of kmoa's name\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["export", "kgx", str(project), "--force", *TINY])
    assert result.exit_code == 0, result.output
    assert (project / "nodes.tsv").read_text(encoding="utf-8").startswith("id\t")
    assert (project / "notes.txt").read_text(encoding="utf-8") == "my notes\n"
    assert (project / "src" / "analysis.py").exists()


def test_build_into_a_folder_with_unrelated_files_is_refused_and_they_survive(project: Path) -> None:
    before = snapshot(project)
    message = one_line_error(["build", "--out", str(project), *TINY], 1)
    assert str(project) in message and "--force" in message
    assert snapshot(project) == before


def test_rebuilding_keeps_files_a_user_added_to_the_artifacts_folder(tmp_path: Path) -> None:
    out = tmp_path / "artifacts"
    runner = CliRunner()
    first = runner.invoke(main, ["build", "--out", str(out), *TINY])
    assert first.exit_code == 0, first.output
    (out / "my-notes.md").write_text("what I found\n", encoding="utf-8")
    turtle = (out / "kmoa.ttl").stat().st_ino
    second = runner.invoke(main, ["build", "--out", str(out), *TINY])
    assert second.exit_code == 0, second.output
    assert (out / "my-notes.md").read_text(encoding="utf-8") == "what I found\n"
    assert (out / "kmoa.ttl").stat().st_ino != turtle  # the artifact was replaced
    assert hidden_leftovers(tmp_path) == []


def test_an_earlier_build_is_replaced_whole_without_force(tmp_path: Path) -> None:
    out = tmp_path / "artifacts"
    runner = CliRunner()
    assert runner.invoke(main, ["build", "--out", str(out), *TINY]).exit_code == 0
    (out / "kmoa.ttl").write_text("stale\n", encoding="utf-8")
    result = runner.invoke(main, ["build", "--out", str(out), *TINY])
    assert result.exit_code == 0, result.output
    assert (out / "kmoa.ttl").read_text(encoding="utf-8") != "stale\n"
    assert "kmoa.ttl" in (out / OUTPUT_MARKER).read_text(encoding="utf-8")


def test_an_empty_folder_is_accepted(tmp_path: Path) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    result = CliRunner().invoke(main, ["export", "kgx", str(out), *TINY])
    assert result.exit_code == 0, result.output
    assert (out / "nodes.tsv").is_file()


def test_a_failing_export_leaves_no_folder_no_parents_and_no_temporary_files(
        tmp_path: Path, tiny, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from kmoa.loaders.formats import kgx

    def broken(self: object, kg: object, out: Path) -> None:
        out.mkdir(exist_ok=True)
        (out / "nodes.tsv").write_text("half\n", encoding="utf-8")
        raise RuntimeError("disk full")

    monkeypatch.setattr(kgx.KgxSink, "write", broken)
    target = tmp_path / "new" / "deeper" / "kgx"
    with pytest.raises(RuntimeError, match="disk full"):
        export(tiny, "kgx", target)
    assert list(tmp_path.iterdir()) == []


def test_a_failing_export_leaves_an_earlier_export_as_it_was(
        tmp_path: Path, tiny, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from kmoa.loaders.formats import kgx

    out = export(tiny, "kgx", tmp_path / "kgx")
    (out / "mine.txt").write_text("keep\n", encoding="utf-8")
    before = snapshot(out)

    def broken(self: object, kg: object, out: Path) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(kgx.KgxSink, "write", broken)
    with pytest.raises(RuntimeError):
        export(tiny, "kgx", out)
    assert snapshot(out) == before
    assert hidden_leftovers(tmp_path) == []


def test_an_interrupted_move_into_a_shared_folder_puts_everything_back(
        project: Path, tiny, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from kmoa.loaders import base

    export(tiny, "kgx", project, force=True)
    before = snapshot(project)
    real_replace = os.replace
    calls = {"n": 0}

    def flaky(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        calls["n"] += 1
        if calls["n"] == 3:  # after the old nodes.tsv moved aside and the new one moved in
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(base.os, "replace", flaky)
    with pytest.raises(OSError):
        export(tiny, "kgx", project)
    monkeypatch.setattr(base.os, "replace", real_replace)
    assert snapshot(project) == before
    assert hidden_leftovers(project.parent) == []


SLOW_EXPORT = """
import sys, time
from pathlib import Path
from kmoa.graph.model import load_graph
from kmoa.loaders.formats import kgx
from kmoa.loaders.registry import export

write = kgx.KgxSink.write

def slow(self, kg, out):
    write(self, kg, out)
    print("written", flush=True)
    time.sleep(120)

kgx.KgxSink.write = slow
export(load_graph(Path(sys.argv[1])), "kgx", Path(sys.argv[2]))
"""


def test_the_next_run_removes_what_a_killed_run_left(tmp_path: Path, tiny) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "kgx"
    (tmp_path / ".kgx.not-kmoas").mkdir()  # looks like a scratch folder, but has no owner record: kept
    process = subprocess.Popen([sys.executable, "-c", SLOW_EXPORT, str(TINY_DATA), str(out)], cwd=REPO,
                               stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert process.stdout is not None
    try:
        assert process.stdout.readline().strip() == "written"
    finally:
        process.kill()
        process.wait(30)
    left = [p for p in hidden_leftovers(tmp_path) if p != ".kgx.not-kmoas"]
    assert len(left) == 1 and not out.exists()  # SIGKILL leaves the scratch folder
    export(tiny, "kgx", out)
    assert (out / "nodes.tsv").is_file()
    assert hidden_leftovers(tmp_path) == [".kgx.not-kmoas"]


def test_atomic_path_leaves_no_temporary_folder_on_any_failure(tmp_path: Path) -> None:
    for directory in (False, True):
        with pytest.raises(KeyboardInterrupt):
            with atomic_path(tmp_path / "a" / "b" / "out", directory=directory):
                raise KeyboardInterrupt
        assert list(tmp_path.iterdir()) == []
    with pytest.raises(OutputError):
        with atomic_path(""):  # type: ignore[arg-type]
            pass
    assert list(tmp_path.iterdir()) == []


def test_a_file_output_replaces_only_that_file(tmp_path: Path) -> None:
    (tmp_path / "other.txt").write_text("keep\n", encoding="utf-8")
    target = tmp_path / "graph.ttl"
    target.write_text("old\n", encoding="utf-8")
    with output_path(target) as tmp:
        tmp.write_text("new\n", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.ttl", "other.txt"]


# ---------------------------------------------------------------- one line instead of a traceback


def test_empty_output_path_is_a_usage_error() -> None:
    message = one_line_error(["export", "turtle", "", *TINY], 2)
    assert "empty" in message


def test_existing_folder_as_a_file_output(tmp_path: Path) -> None:
    message = one_line_error(["export", "turtle", str(tmp_path), *TINY], 1)
    assert str(tmp_path) in message and "folder" in message


def test_a_file_used_as_a_folder(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x\n", encoding="utf-8")
    message = one_line_error(["export", "turtle", str(tmp_path / "plain" / "g.ttl"), *TINY], 1)
    assert "plain is a file, not a folder" in message
    message = one_line_error(["export", "kgx", str(tmp_path / "plain"), *TINY], 1)
    assert "plain is a file, not a folder" in message
    message = one_line_error(["build", "--out", str(tmp_path / "plain"), *TINY], 1)
    assert "plain is a file, not a folder" in message


def test_an_unwritable_place() -> None:
    message = one_line_error(["export", "turtle", "/proc/kmoa-cannot-be-here/g.ttl", *TINY], 1)
    assert "cannot write /proc/kmoa-cannot-be-here/g.ttl" in message


def test_unknown_sparql_prefix() -> None:
    message = engine_error(["sparql", "SELECT * WHERE { ?s nope:x ?o }", *TINY])
    assert "prefix" in message.lower()


def test_huge_sparql_limit_answers_or_says_why() -> None:
    """A LIMIT beyond any machine integer: the rows (the cap still holds) or one line, never a traceback."""
    result = CliRunner().invoke(main, ["sparql", "SELECT ?s WHERE { ?s ?p ?o } LIMIT 99999999999999999999999",
                                       "--limit", "3", "--format", "csv", *TINY])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if result.exit_code == 0:
        assert len(result.stdout.strip().splitlines()) == 1 + 3  # header and the capped rows
    else:
        assert result.exit_code == 1 and result.output.startswith("Error: "), result.output


def test_non_utf8_query_file(tmp_path: Path) -> None:
    query = tmp_path / "latin1.rq"
    query.write_bytes("SELECT ?x WHERE { ?x rdfs:label \"caf\xe9\" }".encode("latin-1"))
    message = one_line_error(["sparql", "-f", str(query), *TINY], 1)
    assert "latin1.rq" in message and "not UTF-8" in message


@pytest.mark.parametrize("endpoint", ["notaurl", "file:///etc/passwd", "ftp://example.org/x", "http://",
                                      "http://[::1", "http://host:99999/x", "http://host:port/x"])
def test_endpoint_must_be_http(endpoint: str) -> None:
    message = one_line_error(["sparql", "-n", "iv_ketamine_trd_evidence", "--endpoint", endpoint], 2)
    assert "http://" in message and endpoint in message
    one_line_error(["push", "sparql", "--endpoint", endpoint, *TINY], 2)


def test_an_empty_query_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "empty.rq").write_text("\n", encoding="utf-8")
    message = one_line_error(["sparql", "-f", str(tmp_path / "empty.rq"), *TINY], 1)
    assert "empty.rq" in message and "empty" in message


def test_a_missing_store_to_push_is_one_line(tmp_path: Path) -> None:
    message = one_line_error(["push", "sparql", "--endpoint", "http://127.0.0.1:9/store",
                              "--store", f"oxigraph:{tmp_path / 'nostore'}"], 1)
    assert "nostore" in message


def test_the_remote_client_refuses_file_urls_whoever_calls_it() -> None:
    from kmoa.loaders.stores.sparql_remote import RemoteEndpointError, query_endpoint

    with pytest.raises(RemoteEndpointError, match="not an http"):
        query_endpoint("file:///etc/passwd", "SELECT * WHERE { ?s ?p ?o }")


@pytest.mark.parametrize("args", [
    ["sparql", "-n", "iv_ketamine_trd_evidence", "--timeout", "-1"],
    ["sparql", "-n", "iv_ketamine_trd_evidence", "--timeout", "0"],
    ["cypher", "-n", "iv_ketamine_trd_evidence", "--timeout", "0"],
    ["cypher", "-n", "iv_ketamine_trd_evidence", "--timeout", "-1"],
    ["serve", "sparql", "--timeout", "0"],
    ["push", "sparql", "--endpoint", "http://127.0.0.1:9/store", "--timeout", "0"],
    ["neo4j", "start", "--timeout", "0"],
    ["sparql", "-n", "iv_ketamine_trd_evidence", "--timeout", "nan"],
    ["cypher", "-n", "iv_ketamine_trd_evidence", "--timeout", "inf"],
])
def test_a_timeout_must_be_positive(args: list[str]) -> None:
    """Every query has a timeout: 0 or less, nan or infinity is refused the same way for SPARQL and Cypher."""
    message = one_line_error(args, 2)
    assert "--timeout" in message and ("0<x" in message or "finite" in message)


@pytest.mark.parametrize("args, option", [
    (["serve", "sparql", "--port", "-1"], "--port"),
    (["serve", "sparql", "--port", "70000"], "--port"),
    (["explore", "--port", "-1"], "--port"),
    (["paths", "ketamine", "TRD", "-k", "0"], "-k"),
    (["paths", "ketamine", "TRD", "--max-hops", "0"], "--max-hops"),
    (["sparql", "-n", "iv_ketamine_trd_evidence", "--limit", "-5"], "--limit"),
    (["sparql", "-n", "iv_ketamine_trd_evidence", "--limit", "0"], "--limit"),
    (["cypher", "-n", "iv_ketamine_trd_evidence", "--limit", "-5"], "--limit"),
    (["serve", "sparql", "--limit", "-5"], "--limit"),
    (["serve", "sparql", "--workers", "0"], "--workers"),
    (["load", "neo4j", "--batch-size", "0"], "--batch-size"),
    (["import", "kgx", ".", "--store", "oxigraph:x", "--batch-size", "0"], "--batch-size"),
])
def test_numeric_options_have_ranges(args: list[str], option: str) -> None:
    message = one_line_error(args, 2)
    assert f"'{option}'" in message and "range" in message


def test_an_unknown_route_is_refused_with_the_choices() -> None:
    message = one_line_error(["paths", "ketamine", "TRD", "--route", "bogus", *TINY], 2)
    assert "bogus" in message and "intravenous" in message and "intranasal" in message


def test_a_known_route_still_filters() -> None:
    result = CliRunner().invoke(main, ["paths", "ketamine", "TRD", "--route", "intravenous", "--format", "json", *TINY])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("command", [["validate"], ["build", "--out", "unused"], ["paths", "ketamine", "TRD"],
                                     ["export", "turtle", "unused.ttl"], ["sparql", "-n", "iv_ketamine_trd_evidence"]])
def test_data_must_be_a_curated_data_folder(command: list[str], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    message = one_line_error([*command, "--data", "/nonexistent"], 2)
    assert "/nonexistent does not exist" in message
    (tmp_path / "notdata").mkdir()
    (tmp_path / "notdata" / "readme.txt").write_text("x\n", encoding="utf-8")
    message = one_line_error([*command, "--data", str(tmp_path / "notdata")], 2)
    assert "not a curated data folder" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notdata"]  # nothing was built or exported


def test_a_non_utf8_kgx_file_is_named_with_its_line(tmp_path: Path, tiny) -> None:  # type: ignore[no-untyped-def]
    out = export(tiny, "kgx", tmp_path / "kgx")
    nodes = out / "nodes.tsv"
    lines = nodes.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b"\t", b"\xe9\t", 1)
    nodes.write_bytes(b"\n".join(lines))
    result = CliRunner().invoke(main, ["import", "kgx", str(out), "--store", f"oxigraph:{tmp_path / 'store'}", *TINY])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert result.output.startswith("Error: ") and "nodes.tsv:3: not UTF-8 text" in result.output
    assert not (tmp_path / "store").exists()


def test_no_traceback_through_the_installed_command(tmp_path: Path) -> None:
    """The real entry point (not CliRunner): one line on stderr, right exit status."""
    cases = [(["export", "turtle", ""], 2), (["export", "turtle", str(tmp_path)], 1),
             (["sparql", "-n", "no_such_query"], 1), (["serve", "sparql", "--port", "-1"], 2)]
    for args, code in cases:
        done = subprocess.run([sys.executable, "-m", "kmoa", *args, *TINY], capture_output=True, text=True,
                              cwd=tmp_path, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})
        assert done.returncode == code, (args, done.stderr)
        assert "Traceback" not in done.stderr
        assert done.stderr.strip().splitlines() == [done.stderr.strip()] and done.stderr.startswith("Error: ")
