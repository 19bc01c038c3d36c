"""DrugMechDB's real indication paths: mapping to Biolink, defects by line, conversion and import.

The fixture is a byte-for-byte excerpt of DrugMechDB's early release (MIT licence, notice in the file):
the depressive-disorder paths and every kind of defect the data is known to have.
"""

from __future__ import annotations

import itertools
import re
from importlib.resources import files
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kmoa.cli import main
from kmoa.loaders.formats.drugmechdb import KNOWLEDGE_SOURCE, edge_rows, load_mapping, node_rows, read_drugmechdb
from kmoa.loaders.formats.kgx import read_tsv

FIXTURE = Path(__file__).parent / "fixtures" / "drugmechdb" / "indication_paths_excerpt.yaml"
MDD_MESH = "MESH:D003865"


@pytest.fixture(scope="module")
def raw() -> list[dict]:
    return yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))


def _line_of(text: str, needle: str, after: int = 0) -> int:
    lines = text.splitlines()
    return next(i for i, line in enumerate(lines, start=1) if i > after and line.rstrip().endswith(needle))


def test_mapping_covers_the_data_and_is_valid_biolink(raw: list[dict]) -> None:
    from bmt import Toolkit

    toolkit = Toolkit(schema=str(files("biolink_model") / "schema" / "biolink_model.yaml"),
                      predicate_map={"predicate mappings": []})
    mapping = load_mapping()
    assert {n["label"] for e in raw for n in e["nodes"]} <= set(mapping.categories)
    assert {link["key"] for e in raw for link in e["links"]} <= set(mapping.predicates)
    assert [c for c in mapping.categories.values() if not toolkit.is_category(c)] == []
    aspects = toolkit.view.get_enum("GeneOrGeneProductOrChemicalEntityAspectEnum").permissible_values
    directions = toolkit.view.get_enum("DirectionQualifierEnum").permissible_values
    for phrase, spec in mapping.predicates.items():
        assert toolkit.is_predicate(spec["predicate"]), phrase
        for qualifier, value in (spec.get("qualifiers") or {}).items():
            assert toolkit.is_qualifier(f"biolink:{qualifier}"), phrase
            allowed = aspects if qualifier == "object_aspect_qualifier" else directions
            assert value in allowed, (phrase, value)


def test_every_known_defect_is_reported_with_its_line() -> None:
    text = FIXTURE.read_text(encoding="utf-8")
    db = read_drugmechdb(FIXTURE)
    found = {(d.line, d.message.split(":")[0]) for d in db.defects}
    messages = [(d.line, d.message) for d in db.defects]
    assert (_line_of(text, "id: GO:005507"), "node 'GO") in found
    assert any("swapped" in m for _, m in messages)
    lines = text.splitlines()
    mislabelled = [line for line, m in messages if "labelled 'Disease'" in m]
    assert mislabelled and all(lines[line - 1].strip() == "-   id: MESH:C559147" for line in mislabelled)
    assert any("DB:DB00285" in m and "amoxapine" in m for _, m in messages)
    assert db.duplicates == 1 and any("duplicate of the entry at line" in m for _, m in messages)


def test_paths_keep_their_unit_source_and_line() -> None:
    db = read_drugmechdb(FIXTURE)
    edges = list(edge_rows(db))
    duloxetine = [e for e in edges if e["drugmechdb_drug"] == "duloxetine"]
    assert duloxetine and {e["drugmechdb_path"] for e in duloxetine} == {duloxetine[0]["drugmechdb_path"]}
    assert all(e["primary_knowledge_source"] == KNOWLEDGE_SOURCE and e["drugmechdb_disease"] == MDD_MESH
               for e in duloxetine)
    text = FIXTURE.read_text(encoding="utf-8").splitlines()
    for edge in duloxetine:
        assert "key:" in text[edge["source_line"] - 1]  # the line of the link in the YAML
    chain = [(e["subject"], e["object"]) for e in duloxetine]
    assert chain[0][0].startswith("MESH:") and chain[-1][1] == MDD_MESH
    assert ("UniProtKB:P31645", "GO:0051610") in chain  # UniProt: is written as UniProtKB:
    assert all(n["id"] != "GO:005507" for n in node_rows(db))  # an id that may not be written is never a node


def test_skip_and_strict(tmp_path: Path) -> None:
    db = read_drugmechdb(FIXTURE)
    defective = {p.id for p in db.paths if p.defects}  # a duplicate entry is read once, not a defect of its path
    assert len(defective) == 5
    assert {e["drugmechdb_path"] for e in edge_rows(db, "skip")}.isdisjoint(defective)
    runner = CliRunner()
    out = tmp_path / "strict"
    refused = runner.invoke(main, ["import", "drugmechdb", str(FIXTURE), "--out", str(out), "--strict"])
    assert refused.exit_code == 1 and "--strict refuses" in refused.output and not out.exists()
    converted = runner.invoke(main, ["import", "drugmechdb", str(FIXTURE), "--out", str(tmp_path / "kgx"),
                                     "--defects", "skip"])
    assert converted.exit_code == 0, converted.output
    rows = [row for _, row in read_tsv(tmp_path / "kgx" / "edges.tsv", ["subject", "predicate", "object"])]
    assert rows and {r["drugmechdb_path"] for r in rows}.isdisjoint(defective)
    assert f"{FIXTURE}:" in converted.output and "defect:" in converted.output


def _paths_as_units() -> dict[tuple[str, str, str, int], int]:
    """Every path of the fixture as (id, drug, disease, YAML line) -> its number of imported edges."""
    units: dict[tuple[str, str, str, int], int] = {}
    for edge in edge_rows(read_drugmechdb(FIXTURE)):
        key = (edge["drugmechdb_path"], edge["drugmechdb_drug"], edge["drugmechdb_disease"], edge["drugmechdb_line"])
        units[key] = units.get(key, 0) + 1
    return units


def test_each_path_row_names_the_line_its_entry_starts_on() -> None:
    text = FIXTURE.read_text(encoding="utf-8").splitlines()
    units = _paths_as_units()
    assert len(units) == len(read_drugmechdb(FIXTURE).paths)
    for path_id, drug, _, line in units:
        entry = text[line - 1:line + 12]  # the entry's first lines: its graph block names the drug
        assert entry[0].startswith("-   ") and any(f"drug: {drug}" in row for row in entry), path_id


def test_import_into_oxigraph_answers_sparql_with_each_path_as_a_unit(tmp_path: Path) -> None:
    """Each imported edge is a statement naming its path, drug, disease and YAML line: SPARQL gets every path back."""
    from kmoa.loaders.stores.oxigraph_store import read_only_store
    from kmoa.ontology.namespaces import VOCAB

    store = tmp_path / "store"
    result = CliRunner().invoke(main, ["import", "drugmechdb", str(FIXTURE), "--store", f"oxigraph:{store}"])
    assert result.exit_code == 0, result.output
    query = f"""
        PREFIX kmoa: <{VOCAB}>
        SELECT ?path ?drug ?disease ?line (COUNT(?st) AS ?edges) WHERE {{
          GRAPH ?g {{ ?st kmoa:drugmechdb_path ?path ; kmoa:drugmechdb_drug ?drug ;
                         kmoa:drugmechdb_disease ?disease ; kmoa:drugmechdb_line ?line ;
                         <https://w3id.org/biolink/vocab/primary_knowledge_source> "{KNOWLEDGE_SOURCE}" }}
        }} GROUP BY ?path ?drug ?disease ?line"""
    with read_only_store(store) as opened:
        rows = {(str(r["path"].value), str(r["drug"].value), str(r["disease"].value), int(r["line"].value)):
                int(r["edges"].value) for r in opened.query(query)}
    assert rows == _paths_as_units()
    amoxapine = [key for key in rows if key[1] == "amoxapine"]
    assert amoxapine and all(disease == "MESH:D003866" for _, _, disease, _ in amoxapine)


def test_the_import_reports_what_merged_and_what_did_not(tmp_path: Path, kg) -> None:  # type: ignore[no-untyped-def]
    """Merges go by identifier only; an unmerged node whose name matches a curated one is named as a candidate."""
    result = CliRunner().invoke(main, ["import", "drugmechdb", str(FIXTURE), "--store", f"oxigraph:{tmp_path / 's'}"])
    assert result.exit_code == 0, result.output
    mdd = kg.resolve("major depressive disorder")
    assert f"  {MDD_MESH} -> {kg.nodes[mdd].name} ({mdd}, by xref)" in result.output
    # amoxapine's paths end at depressive disorder, the class section 10 names: merged by its MeSH xref
    depressive = kg.resolve("depressive disorder")
    assert depressive != mdd and "MESH:D003866" in kg.nodes[depressive].xref
    assert f"  MESH:D003866 -> {kg.nodes[depressive].name} ({depressive}, by xref)" in result.output
    # a node whose name matches a curated one but shares no id is named as a candidate, never merged
    unmerged = result.output.split("not merged, no shared id although the names match", 1)[1]
    candidates = re.findall(r'^  (\S+) "([^"]+)": same as the name of (.+) \((\S+)\)$', unmerged, re.M)
    assert candidates
    for curie, name, curated_name, curated in candidates:
        assert name.lower() == curated_name.lower() == kg.nodes[curated].name.lower()
        assert curie != curated and curie not in kg.nodes[curated].xref


def test_compare_ketamine_with_duloxetine_side_by_side(kg) -> None:  # type: ignore[no-untyped-def]
    """Both mechanisms end on the same line at the shared indication, each step with its source."""
    result = CliRunner().invoke(main, ["compare", "ketamine", "duloxetine", "--to", "major depressive disorder",
                                       "--drugmechdb", str(FIXTURE)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    mdd = kg.nodes[kg.resolve("major depressive disorder")].name
    ends = [line for line in lines if line.count(f"v {mdd}") == 2 or
            (f"v {mdd}" in line.split("|")[0] and mdd.lower() in line.split("|")[-1].lower())]
    assert ends, "the two chains end on one line at the shared indication"
    db = read_drugmechdb(FIXTURE)
    duloxetine = next(p for p in db.paths if p.drug == "duloxetine")
    assert f"path {duloxetine.id}, line " in result.output
    claim_ids = [line.split("claim ", 1)[1].split(",")[0] for line in lines if "] review: claim " in line]
    assert claim_ids and all(c in kg.claims for c in claim_ids)
    for claim_id in claim_ids:
        assert kg.claims[claim_id].provenance.quote in result.output
    assert "Clinical facts the review gives for ketamine" in result.output


def test_compare_without_a_file_uses_the_shipped_paths_and_says_what_is_missing() -> None:
    """Duloxetine's path ships with kmoa (cited, from its own file); a drug it lacks names --drugmechdb."""
    from kmoa.graph.compare import DRUGMECHDB_CITATION, bundled_drugmechdb

    shipped = read_drugmechdb(Path(str(bundled_drugmechdb())))
    duloxetine = next(p for p in shipped.paths if p.drug == "duloxetine")
    result = CliRunner().invoke(main, ["compare", "ketamine", "duloxetine", "--to", "MDD"])
    assert result.exit_code == 0, result.output
    assert f"path {duloxetine.id}, line " in result.output and f"(file {shipped.file.name})" in result.output
    assert DRUGMECHDB_CITATION in result.output
    missing = CliRunner().invoke(main, ["compare", "ketamine", "gepirone", "--to", "MDD"])
    assert missing.exit_code == 1 and "--drugmechdb" in missing.output and "Traceback" not in missing.output
    gepirone = CliRunner().invoke(main, ["compare", "ketamine", "gepirone", "--to", "MDD",
                                         "--drugmechdb", str(FIXTURE)])
    assert gepirone.exit_code == 0 and f"(file {FIXTURE.name})" in gepirone.output


@pytest.mark.neo4j
def test_import_into_neo4j_answers_cypher_with_the_source(neo4j_server_info, neo4j_driver) -> None:  # type: ignore[no-untyped-def]
    info = neo4j_server_info
    result = CliRunner().invoke(main, ["import", "drugmechdb", str(FIXTURE), "--neo4j", "--uri", info.uri,
                                       "--user", info.user, "--password", info.password])
    assert result.exit_code == 0, result.output
    records = neo4j_driver.execute_query(
        "MATCH (s:Entity)-[r]->(o:Entity) WHERE r.primary_knowledge_source = $source "
        "RETURN s.id AS s, o.id AS o", source=KNOWLEDGE_SOURCE, database_="neo4j").records
    units = neo4j_driver.execute_query(
        "MATCH (:Entity)-[r]->(:Entity) WHERE r.primary_knowledge_source = $source "
        "RETURN r.drugmechdb_path AS path, r.drugmechdb_drug AS drug, r.drugmechdb_disease AS disease, "
        "r.drugmechdb_line AS line, count(r) AS edges", source=KNOWLEDGE_SOURCE, database_="neo4j").records
    assert {(u["path"], u["drug"], u["disease"], u["line"]): u["edges"] for u in units} == _paths_as_units()
    from kmoa.graph.model import load_graph
    from kmoa.loaders.formats.kgx_import import curated_keys
    from kmoa.loaders.stores import neo4j as nl

    kg = load_graph()
    keys = curated_keys(kg)  # DrugMechDB's MESH:D003865 is the curated major depressive disorder
    pairs = {(r["s"], r["o"]) for r in records}
    expected = {(keys.get(e["subject"], e["subject"]), keys.get(e["object"], e["object"]))
                for e in edge_rows(read_drugmechdb(FIXTURE))}
    assert pairs == expected
    mdd = kg.resolve("major depressive disorder")
    assert any(o == mdd for _, o in pairs)
    nl.load_graph(neo4j_driver, kg)  # leave the curated graph for the other tests


def test_paths_reach_drugmechdb_nodes_where_identifiers_meet(tmp_path: Path, kg) -> None:  # type: ignore[no-untyped-def]
    """Over curated + DrugMechDB, ketamine's curated mechanism reaches a DrugMechDB disease through a shared node."""
    out = tmp_path / "kgx"
    runner = CliRunner()
    assert runner.invoke(main, ["import", "drugmechdb", str(FIXTURE), "--out", str(out)]).exit_code == 0
    target = "MESH:D065631"  # allergic rhinitis: only DrugMechDB knows it, via inflammatory response (GO:0006954)
    assert target not in kg.nodes
    result = runner.invoke(main, ["paths", "ketamine", target, "--import", str(out), "-k", "2"])
    assert result.exit_code == 0, result.output
    assert "#1 " in result.output and "#3 " not in result.output
    first = result.output.split("#2 ")[0]
    assert "[imported from infores:drugmechdb" in first and "claim s2." in first  # both sources on one path
    chains = [line.split("  ", 2)[-1] for line in result.output.splitlines() if line.startswith("#")]
    assert len(chains) == len(set(chains))  # each node chain once


def test_an_import_leaves_ketamines_curated_paths_and_scores_as_they_were(tmp_path: Path, kg) -> None:  # type: ignore[no-untyped-def]
    """Hub damping is for the import's hubs: a path through curated-only nodes keeps its curated score."""
    from kmoa.graph.imported import search_merged_paths
    from kmoa.graph.paths import PathFilters, search_curated_paths
    from kmoa.loaders.formats.kgx_import import read_kgx

    out = tmp_path / "kgx"
    assert CliRunner().invoke(main, ["import", "drugmechdb", str(FIXTURE), "--out", str(out)]).exit_code == 0
    imported = read_kgx(out, kg)
    source = kg.resolve("ketamine", kinds=("compound",))
    target = kg.resolve("treatment-resistant depression")
    filters = PathFilters(allow_direct=True)
    curated = search_curated_paths(kg, source, target, k=10, max_hops=8, filters=filters).paths
    merged = {p.nodes: p.score for p in search_merged_paths(kg, imported, source, target, k=30, max_hops=8,
                                                            filters=filters).paths}
    assert curated
    for path in curated:
        assert merged.get(path.nodes) == pytest.approx(path.score), path.nodes


def test_the_explorers_import_keeps_each_edges_path(kg) -> None:  # type: ignore[no-untyped-def]
    """``kmoa explore --import FILE.yaml``: each imported edge names its path, drug, disease and YAML lines."""
    from kmoa.graph.imported import imported_edge
    from kmoa.loaders.formats.drugmechdb import read_as_imported

    imported = read_as_imported(read_drugmechdb(FIXTURE), kg)
    units: dict[tuple[str, str, str, int], int] = {}
    text = FIXTURE.read_text(encoding="utf-8").splitlines()
    for e in range(imported.edge_count):
        edge = imported_edge(imported, e)
        key = (edge["drugmechdb_path"], edge["drugmechdb_drug"], edge["drugmechdb_disease"], edge["drugmechdb_line"])
        units[key] = units.get(key, 0) + 1
        assert "key:" in text[edge["source_line"] - 1]
    assert units == _paths_as_units()


def test_merged_paths_list_a_chain_once_with_every_drugmechdb_path_that_states_it(tmp_path: Path) -> None:
    """Venlafaxine's serotonin-transporter step is stated by several DrugMechDB paths: one row, all of them named."""
    out = tmp_path / "kgx"
    runner = CliRunner()
    assert runner.invoke(main, ["import", "drugmechdb", str(FIXTURE), "--out", str(out)]).exit_code == 0
    result = runner.invoke(main, ["paths", "MESH:D000069470", MDD_MESH, "--import", str(out), "-k", "10"])
    assert result.exit_code == 0, result.output
    chains = [line.split("  ", 2)[-1] for line in result.output.splitlines() if line.startswith("#")]
    assert chains and len(chains) == len(set(chains))
    step = "sodium dependent serotonin transporter --participates in--> "
    lines = result.output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("    " + step))
    shown = "\n".join(line for line in itertools.takewhile(lambda line: line.startswith(" " * 8), lines[start + 1:]))
    stating = {e["drugmechdb_path"]: e["source_line"] for e in edge_rows(read_drugmechdb(FIXTURE))
               if (e["subject"], e["object"]) == ("UniProtKB:P31645", "GO:0051610")}
    assert len(stating) > 1
    for path_id, line in stating.items():
        assert f"DrugMechDB path {path_id} " in shown and f"YAML line {line}]" in shown


def test_merged_paths_tell_apart_distinct_nodes_that_share_a_name(tmp_path: Path, kg) -> None:  # type: ignore[no-untyped-def]
    """Two imported proteins both named "30S ribosomal subunit" (as in DrugMechDB) give rows that read differently."""
    out = tmp_path / "kgx"
    out.mkdir()
    ketamine = kg.resolve("ketamine", kinds=("compound",))
    (out / "nodes.tsv").write_text(
        "id\tcategory\tname\n"
        "UniProtKB:P0A0H0\tbiolink:Protein\t30S ribosomal subunit\n"
        "UniProtKB:P0A7S3\tbiolink:Protein\t30S ribosomal subunit\n"
        "MESH:D007634\tbiolink:Disease\tKeratitis\n", encoding="utf-8")
    (out / "edges.tsv").write_text(
        "subject\tpredicate\tobject\tprimary_knowledge_source\n"
        f"{ketamine}\tbiolink:affects\tUniProtKB:P0A0H0\tinfores:example\n"
        f"{ketamine}\tbiolink:affects\tUniProtKB:P0A7S3\tinfores:example\n"
        "UniProtKB:P0A0H0\tbiolink:contributes_to\tMESH:D007634\tinfores:example\n"
        "UniProtKB:P0A7S3\tbiolink:contributes_to\tMESH:D007634\tinfores:example\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["paths", "ketamine", "MESH:D007634", "--import", str(out), "--allow-direct"])
    assert result.exit_code == 0, result.output
    chains = [line.split("  ", 2)[-1] for line in result.output.splitlines() if line.startswith("#")]
    assert len(chains) == 2 and len(set(chains)) == 2
    assert any("(UniProtKB:P0A0H0)" in c for c in chains) and any("(UniProtKB:P0A7S3)" in c for c in chains)


def test_compare_says_where_a_drugs_paths_go_when_they_miss_the_indication() -> None:
    """Amoxapine's paths end at depressive disorder, which no curated node carries: the error names it."""
    db = read_drugmechdb(FIXTURE)
    diseases = {p.disease for p in db.paths if p.drug == "amoxapine"}
    result = CliRunner().invoke(main, ["compare", "ketamine", "amoxapine", "--to", "MDD", "--drugmechdb", str(FIXTURE)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "no path from 'amoxapine'" in result.output
    assert f"its paths go to {', '.join(sorted(diseases))}" in result.output
