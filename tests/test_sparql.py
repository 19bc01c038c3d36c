"""Embedded SPARQL: named queries answer what the Python model says; writes and URL fetches refused."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from kmoa.cli import main
from kmoa.graph.model import KnowledgeGraph
from kmoa.graph.sparql import QueryRefused, QuerySyntaxError, QueryTimeout, named_queries
from kmoa.loaders.formats.rdf import to_rdf
from kmoa.loaders.stores.sparql_engine import run_query
from tests.conftest import AMPA, ESKETAMINE, HYP_DISINHIBITION, KETAMINE, TRD


@pytest.fixture(scope="module")
def rdf(kg: KnowledgeGraph):  # type: ignore[no-untyped-def]
    return to_rdf(kg)


def named(rdf, name: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return run_query(rdf, named_queries()[name].sparql).rows


def test_compounds_on_ampa(kg: KnowledgeGraph, rdf) -> None:  # type: ignore[no-untyped-def]
    expected = {(c.subject, c.predicate) for c in kg.claims.values()
                if c.object == AMPA and kg.nodes[c.subject].kind == "compound"}
    assert expected
    assert {(r["compound"], r["predicate"]) for r in named(rdf, "compounds_on_ampa")} == expected


def test_iv_ketamine_in_trd(kg: KnowledgeGraph, rdf) -> None:  # type: ignore[no-untyped-def]
    expected = {(c.id, c.provenance.evidence_type, c.provenance.canmat_level) for c in kg.claims.values()
                if c.subject == KETAMINE and c.object == TRD and c.route == "intravenous"}
    rows = named(rdf, "iv_ketamine_trd_evidence")
    assert {(r["claim"], r["evidence_type"], r["canmat_level"]) for r in rows} == expected
    assert 1 in {r["canmat_level"] for r in rows}, "CANMAT level 1 for single IV infusion is missing"


def test_iv_ketamine_in_trd_lists_no_regimen_comparison_as_a_failed_trial(  # type: ignore[no-untyped-def]
        kg: KnowledgeGraph, rdf) -> None:
    """Six vs one infusion and twice vs thrice weekly are comparisons of ketamine regimens, not trials it failed."""
    regimen_studies = {s for comp in kg.comparisons.values()
                       if comp.arm_a.node == comp.arm_b.node == KETAMINE for s in comp.studies}
    assert regimen_studies, "no comparison of ketamine regimens is curated"
    rows = named(rdf, "iv_ketamine_trd_evidence")
    failed = [r["claim"] for r in rows if r["finding"] in ("null", "negative")
              and set(kg.claims[r["claim"]].studies) & regimen_studies]
    assert not failed, f"regimen comparisons listed as failed trials of ketamine: {failed}"
    assert {r["claim"]: r["population"] for r in rows} == {
        r["claim"]: kg.claims[r["claim"]].population for r in rows}


def test_trials_with_at_least_100_participants(kg: KnowledgeGraph, rdf) -> None:  # type: ignore[no-untyped-def]
    expected = {n.id for n in kg.nodes.values() if n.study and n.study.n and n.study.n >= 100}
    rows = named(rdf, "trials_n_at_least_100")
    assert {r["study"] for r in rows} == expected
    assert [r["n"] for r in rows] == sorted((r["n"] for r in rows), reverse=True)


def test_contested_claims(kg: KnowledgeGraph, rdf) -> None:  # type: ignore[no-untyped-def]
    expected = {c.id for c in kg.claims.values()
                if c.provenance.contested or c.provenance.finding != "positive"}
    assert {r["claim"] for r in named(rdf, "contested_claims")} == expected


def test_esketamine_safety(kg: KnowledgeGraph, rdf) -> None:  # type: ignore[no-untyped-def]
    expected = {(c.predicate, c.object) for c in kg.claims.values() if c.subject == ESKETAMINE
                and c.predicate in ("has_adverse_effect", "contraindicated_in")}
    rows = named(rdf, "esketamine_safety")
    assert {(r["predicate"], r["object"]) for r in rows} == expected
    assert {"has_adverse_effect", "contraindicated_in"} <= {r["predicate"] for r in rows}


def test_disinhibition_steps_in_order(kg: KnowledgeGraph, rdf) -> None:  # type: ignore[no-untyped-def]
    hyp = kg.hypotheses[HYP_DISINHIBITION]
    rows = named(rdf, "disinhibition_steps")
    assert [r["claim"] for r in rows] == [s.claim for s in hyp.steps]
    assert [r["caption"] for r in rows] == [s.caption for s in hyp.steps]


def test_ketamine_vs_esketamine(kg: KnowledgeGraph, rdf) -> None:  # type: ignore[no-untyped-def]
    def pairs(compound: str) -> set[tuple[str, str]]:
        return {(c.predicate, c.object) for c in kg.claims.values()
                if c.subject == compound and c.predicate != "tested_in" and kg.is_asserted(c)}

    ket, esk = pairs(KETAMINE), pairs(ESKETAMINE)
    expected = {(KETAMINE, *p) for p in ket - esk} | {(ESKETAMINE, *p) for p in esk - ket}
    rows = named(rdf, "ketamine_vs_esketamine")
    assert {(r["compound"], r["predicate"], r["object"]) for r in rows} == expected


def test_hypothesis_evidence(kg: KnowledgeGraph, rdf) -> None:  # type: ignore[no-untyped-def]
    rows = {r["hypothesis"]: r for r in named(rdf, "hypothesis_evidence")}
    assert set(rows) == set(kg.hypotheses)
    for hyp in kg.hypotheses.values():
        assert rows[hyp.id]["steps"] == len(hyp.steps)
        assert rows[hyp.id]["supporting"] == len(set(hyp.supported_by))
        assert rows[hyp.id]["contradicting"] == len(set(hyp.contradicted_by))


def test_every_named_query_is_tested_here() -> None:
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    aliases = {"iv_ketamine_in_trd": "iv_ketamine_trd_evidence", "trials_with_at_least_100_participants":
               "trials_n_at_least_100", "disinhibition_steps_in_order": "disinhibition_steps"}
    covered = {aliases.get(t, t) for t in tested}
    assert set(named_queries()) <= covered


@pytest.mark.parametrize("query", [
    "INSERT DATA { <http://x/a> <http://x/b> <http://x/c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "LOAD <http://example.org/data.ttl>",
    "DROP ALL",
])
def test_updates_are_refused_and_the_graph_is_unchanged(rdf, query: str) -> None:  # type: ignore[no-untyped-def]
    before = len(rdf)
    with pytest.raises(QueryRefused, match="read-only"):
        run_query(rdf, query)
    assert len(rdf) == before


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * FROM <http://example.org/graph.ttl> WHERE { ?s ?p ?o }",
    "SELECT * FROM NAMED <http://example.org/g> WHERE { GRAPH ?g { ?s ?p ?o } }",
])
def test_remote_access_is_refused(rdf, query: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QueryRefused):
        run_query(rdf, query)


def test_a_runaway_query_is_stopped_and_the_next_one_answers(rdf) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QueryTimeout):
        run_query(rdf, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", timeout=0.5)
    assert run_query(rdf, "ASK { ?s ?p ?o }").rows == [{"ask": True}]


def test_result_cap_truncates(rdf) -> None:  # type: ignore[no-untyped-def]
    result = run_query(rdf, "SELECT ?s WHERE { ?s ?p ?o }", limit=5)
    assert len(result.rows) == 5 and result.truncated


def test_syntax_errors_say_where(rdf) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QuerySyntaxError, match="line"):
        run_query(rdf, "SELECT ?s WHERE { ?s ?p }}")


def test_cli_formats_and_refusal() -> None:
    runner = CliRunner()
    as_json = runner.invoke(main, ["sparql", "-n", "trials_n_at_least_100", "--format", "json"])
    assert as_json.exit_code == 0 and json.loads(as_json.output)[0]["n"] >= 100
    as_csv = runner.invoke(main, ["sparql", "SELECT ?n WHERE { ?s kmoa:n ?n } LIMIT 3", "--format", "csv"])
    assert as_csv.exit_code == 0 and as_csv.output.splitlines()[0] == "n"
    refused = runner.invoke(main, ["sparql", "DROP ALL"])
    assert refused.exit_code != 0 and "read-only" in refused.output


def test_cli_reads_a_query_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    query = tmp_path / "q.rq"
    query.write_text("SELECT ?name WHERE { ?c a kmoa:Compound ; rdfs:label ?name } ORDER BY ?name", encoding="utf-8")
    result = CliRunner().invoke(main, ["sparql", "-f", str(query)])
    assert result.exit_code == 0 and "esketamine" in result.output


@pytest.mark.parametrize("name", sorted(named_queries()))
def test_named_query_answers_as_rdflib_does(rdf, name: str) -> None:  # type: ignore[no-untyped-def]
    """The engine (Oxigraph) gives every named query the answer rdflib's own evaluator gives."""
    from kmoa.graph.sparql import PREFIXES, python_value

    query = named_queries()[name].sparql
    reference = rdf.query(PREFIXES + query)
    variables = [str(v) for v in reference.vars]
    expected = [tuple(python_value(row[v]) for v in variables) for row in reference]
    result = run_query(rdf, query)
    assert result.variables == variables
    got = [tuple(row[v] for v in variables) for row in result.rows]
    assert expected, f"{name} answers nothing on the curated graph"
    if "ORDER BY" in query.upper():
        assert got == expected
    else:
        assert sorted(map(repr, got)) == sorted(map(repr, expected))
