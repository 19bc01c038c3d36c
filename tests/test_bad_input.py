"""Broken input gets one clear error naming file, line and record, and nothing is written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kmoa.cli import main
from kmoa.graph.curation import CurationError, read_curation
from kmoa.loaders.formats.kgx import KgxFormatError
from kmoa.loaders.formats.rdf import RdfParseError
from kmoa.loaders.registry import get_source
from tests.conftest import TINY_DATA


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A writable copy of the tiny fixture graph."""
    target = tmp_path / "data"
    shutil.copytree(TINY_DATA, target)
    return target


def _replace(path: Path, old: str, new: str) -> int:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture changed: {old!r} not in {path}"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def _single_problem(data: Path) -> str:
    with pytest.raises(CurationError) as caught:
        read_curation(data)
    assert len(caught.value.problems) == 1, caught.value.problems
    return str(caught.value.problems[0])


def test_malformed_yaml_names_file_and_line(data: Path) -> None:
    line = _replace(data / "claims" / "tiny.yaml", "  predicate: increases", "  predicate: [increases")
    message = _single_problem(data)
    assert "claims/tiny.yaml" in message and "malformed YAML" in message
    assert f":{line}" in message or f":{line + 1}" in message


def test_unknown_prefix_names_record_and_prefix(data: Path) -> None:
    line = _replace(data / "claims" / "tiny.yaml", "object: HGNC:1033", "object: NOPE:1033")
    message = _single_problem(data).replace("dangling", "")
    assert "unknown prefix 'NOPE'" in message
    assert "t.ampa_bdnf" in message and "claims/tiny.yaml" in message
    assert f":{line - 3}:" in message  # the record starts three lines above its object


def test_an_unquoted_comma_in_a_synonym_list_is_caught(data: Path) -> None:
    """`[hypersensitivity to esketamine, ketamine]` is two synonyms, the second another node's name."""
    line = _replace(data / "nodes" / "tiny.yaml", "name: treatment-resistant depression\n  synonyms: [TRD]",
                    "name: treatment-resistant depression\n  synonyms: [TRD, ketamine]")
    message = _single_problem(data)
    assert "nodes/tiny.yaml" in message and f":{line - 2}:" in message and "EFO:0009854" in message
    assert "'ketamine'" in message and "CHEBI:6121" in message


def test_dangling_edge_names_the_missing_node(data: Path) -> None:
    _replace(data / "claims" / "tiny.yaml", "object: HGNC:1033", "object: HGNC:99999")
    message = _single_problem(data)
    assert "dangling edge" in message and "HGNC:99999" in message and "t.ampa_bdnf" in message


def test_quote_not_in_the_review_is_rejected(data: Path) -> None:
    _replace(data / "claims" / "tiny.yaml", "primarily acts on the glutamatergic system",
             "primarily acts on the serotonergic system")
    message = _single_problem(data)
    assert "quote not found verbatim" in message and "t.ket_nmda" in message


def test_domain_and_range_are_enforced(data: Path) -> None:
    _replace(data / "claims" / "tiny.yaml", "predicate: antagonist_of\n  object: GO:0017146",
             "predicate: antagonist_of\n  object: EFO:0009854")
    message = _single_problem(data)
    assert "antagonist_of does not allow a disease object" in message


def test_a_failed_build_writes_nothing_and_keeps_old_artifacts(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "artifacts"
    runner = CliRunner()
    ok = runner.invoke(main, ["build", "--data", str(data), "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    before = sorted(p.name for p in out.iterdir())
    turtle = (out / "kmoa.ttl").read_text(encoding="utf-8")
    _replace(data / "claims" / "tiny.yaml", "object: HGNC:1033", "object: HGNC:99999")
    failed = runner.invoke(main, ["build", "--data", str(data), "--out", str(out)])
    assert failed.exit_code != 0
    assert "HGNC:99999" in failed.output and "Nothing was written" in failed.output
    assert sorted(p.name for p in out.iterdir()) == before
    assert (out / "kmoa.ttl").read_text(encoding="utf-8") == turtle
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_build_into_a_new_folder_leaves_nothing_on_failure(data: Path, tmp_path: Path) -> None:
    _replace(data / "claims" / "tiny.yaml", "object: HGNC:1033", "object: HGNC:99999")
    out = tmp_path / "fresh"
    result = CliRunner().invoke(main, ["build", "--data", str(data), "--out", str(out)])
    assert result.exit_code != 0 and not out.exists()


def test_malformed_turtle_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix a: <http://x/> .\na:b a:c a:d .\na:e a:f "unterminated .\n', encoding="utf-8")
    with pytest.raises(RdfParseError, match=r"bad\.ttl: malformed turtle: at line 3"):
        get_source("turtle").read(bad)


def test_malformed_kgx_row_names_file_and_line(tmp_path: Path, tiny) -> None:  # type: ignore[no-untyped-def]
    from kmoa.loaders.registry import export

    out = export(tiny, "kgx", tmp_path / "kgx")
    edges = out / "edges.tsv"
    lines = edges.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].rsplit("\t", 2)[0]  # drop two cells from the fourth line
    edges.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(KgxFormatError, match=r"edges\.tsv:4: expected \d+ columns"):
        get_source("kgx").read(out)


def test_a_folder_without_curated_data_is_refused_not_read_as_empty(tmp_path: Path) -> None:
    from kmoa.graph.curation import NotADataFolder

    with pytest.raises(NotADataFolder, match="does not exist"):
        read_curation(tmp_path / "nonexistent")
    (tmp_path / "nodes").mkdir()
    with pytest.raises(NotADataFolder, match=r"not a curated data folder \(no nodes/\*\.yaml or claims/\*\.yaml\)"):
        read_curation(tmp_path)


def test_a_kgx_file_with_a_byte_order_mark_reads_the_same(tmp_path: Path, tiny) -> None:  # type: ignore[no-untyped-def]
    from kmoa.loaders.formats.kgx_import import read_kgx
    from kmoa.loaders.registry import export

    plain = get_source("kgx").read(export(tiny, "kgx", tmp_path / "plain"))
    out = export(tiny, "kgx", tmp_path / "bom")
    for name in ("nodes.tsv", "edges.tsv"):
        path = out / name
        text = path.read_bytes().replace(b"infores:kmoa", b"infores:example")  # as a public graph would say
        path.write_bytes(b"\xef\xbb\xbf" + text.replace(b"\n", b"\r\n"))
    again = get_source("kgx").read(out)
    assert {k: n.name for k, n in again.nodes.items()} == {k: n.name for k, n in plain.nodes.items()}
    assert sorted(again.claims) == sorted(plain.claims)
    imported = read_kgx(out, tiny)
    assert imported.edge_count == len(tiny.claims)


def test_a_non_utf8_kgx_row_names_file_and_line(tmp_path: Path, tiny) -> None:  # type: ignore[no-untyped-def]
    from kmoa.loaders.formats.kgx_import import KgxImportError, read_kgx
    from kmoa.loaders.registry import export

    out = export(tiny, "kgx", tmp_path / "kgx")
    edges = out / "edges.tsv"
    lines = edges.read_bytes().replace(b"infores:kmoa", b"infores:example").split(b"\n")
    lines[4] = lines[4].replace(b"\t", b"\t\xff", 1)
    edges.write_bytes(b"\n".join(lines))
    with pytest.raises(KgxFormatError, match=r"edges\.tsv:5: not UTF-8 text"):
        get_source("kgx").read(out)
    with pytest.raises(KgxImportError, match=r"edges\.tsv:5: not UTF-8 text"):
        read_kgx(out, tiny)
