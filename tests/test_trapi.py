"""`kmoa serve trapi` in a subprocess, asked real TRAPI queries over loopback HTTP (no mocks).

Every response is validated with the reasoner-pydantic TRAPI models and its categories, predicates,
qualifiers and attribute types against Biolink with bmt (the biolink-model package's schema, offline).
Expectations are computed from the curated data and Biolink's hierarchy, never hard-coded.
"""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from kmoa.graph.model import KnowledgeGraph, load_graph
from kmoa.loaders.servers.http_service import MAX_BODY
from tests.servers import free_port, raw_request, snapshot, start_kmoa, stop
from tests.trapi_client import attrs, bound, expected_bindings, one_hop, post, primary_source, request, toolkit, valid

__all__ = ["toolkit"]  # the fixture

KETAMINE = "CHEBI:6121"
ESKETAMINE = "CHEBI:60799"
TRD = "EFO:0009854"  # treatment-resistant depression
PSYCHIATRIC = "MONDO:0002009"  # ketamine is not approved for psychiatric conditions (a negative claim)
REVIEW_URL = "https://doi.org/10.1007/s44192-022-00012-3"


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    kg: KnowledgeGraph


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("trapi")
    data = snapshot(folder)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_kmoa(["serve", "trapi", "--port", str(port), "--quiet", "--data", str(data)],
                         folder / "server.log", url + "/openapi.json", timeout=240)
    try:
        yield Server(url, process, load_graph(data))
    finally:
        stop(process)


def expected_pairs(kg: KnowledgeGraph, toolkit: Any, predicate: str, subject_ok: Any, object_ok: Any) -> set[tuple]:
    """(subject binding, object binding, claim) the query should find, read off the curated claims."""
    edges = [(c.subject, kg.schema.predicates[c.predicate].biolink, c.object, c.id) for c in kg.claims.values()]
    return expected_bindings(edges, toolkit, predicate, subject_ok, object_ok)


def check_evidence(server: Server, body: dict[str, Any]) -> None:
    """Each edge is its claim: quote, section, refs, publications, negation and trial outcome as curated."""
    kg = server.kg
    for edge_id, edge in body["message"]["knowledge_graph"]["edges"].items():
        claim = kg.claims[edge_id]
        values = attrs(edge)
        assert primary_source(edge) == "infores:kmoa", edge_id
        assert REVIEW_URL in edge["sources"][0]["source_record_urls"], edge_id
        assert values["biolink:supporting_text"] == claim.provenance.quote, edge_id
        assert values["kmoa:section"] == claim.provenance.section, edge_id
        assert values.get("kmoa:ref", []) == list(claim.provenance.refs), edge_id
        assert values["kmoa:evidence_type"] == claim.provenance.evidence_type, edge_id
        assert values["kmoa:finding"] == claim.provenance.finding, edge_id
        assert values.get("biolink:publications", []) == kg.publications(claim), edge_id
        assert values["biolink:knowledge_level"] in ("knowledge_assertion", "logical_entailment"), edge_id
        assert values["biolink:agent_type"] == "manual_agent", edge_id
        assert values.get("biolink:negated", False) is kg.is_negated(claim), edge_id
        assert values.get("biolink:treatment_outcome") == kg.treatment_outcome(claim), edge_id
        if claim.provenance.canmat_level:
            assert values["kmoa:canmat_level"].startswith(f"CANMAT level {claim.provenance.canmat_level}"), edge_id
        assert (edge["subject"], edge["object"]) == (claim.subject, claim.object), edge_id


def check_ranking(server: Server, body: dict[str, Any]) -> None:
    """Results are ordered by evidence strength; a result's score is its strongest claim's."""
    scores = []
    for result in body["message"]["results"]:
        (analysis,) = result["analyses"]
        strengths = [server.kg.claim_strength(server.kg.claims[b["id"]]) for b in analysis["edge_bindings"]["e0"]]
        assert analysis["score"] == pytest.approx(max(strengths))
        scores.append(analysis["score"])
    assert scores == sorted(scores, reverse=True)


def ask(server: Server, toolkit: Any, query: dict[str, Any]) -> dict[str, Any]:
    status, _, body = post(server.url, query)
    assert status == 200, body
    valid(body, toolkit)
    check_evidence(server, body)
    check_ranking(server, body)
    return body


def test_what_ketamine_affects(server: Server, toolkit: Any) -> None:
    body = ask(server, toolkit, one_hop({"ids": [KETAMINE]}, ["biolink:affects"], {}))
    want = expected_pairs(server.kg, toolkit, "biolink:affects", lambda c: c == KETAMINE, lambda c: True)
    assert want and bound(body) == want
    # a receptor ketamine blocks comes back with Biolink's causal-mechanism qualifier
    edges = body["message"]["knowledge_graph"]["edges"]
    blocked = [e for i, e in edges.items() if server.kg.claims[i].predicate == "antagonist_of"]
    assert blocked
    for edge in blocked:
        assert {"qualifier_type_id": "biolink:causal_mechanism_qualifier", "qualifier_value": "antagonism"} \
            in edge["qualifiers"]


def test_qualifier_constraints_select_the_mechanism(server: Server, toolkit: Any) -> None:
    """Ketamine affects ? with causal mechanism antagonism: exactly the claims whose qualifiers say so."""
    query = one_hop({"ids": [KETAMINE]}, ["biolink:affects"], {})
    query["message"]["query_graph"]["edges"]["e0"]["qualifier_constraints"] = [{"qualifier_set": [
        {"qualifier_type_id": "biolink:causal_mechanism_qualifier", "qualifier_value": "antagonism"}]}]
    body = ask(server, toolkit, query)
    kg = server.kg
    every = expected_pairs(kg, toolkit, "biolink:affects", lambda x: x == KETAMINE, lambda x: True)
    want = {(s, o, c) for s, o, c in every
            if kg.schema.predicates[kg.claims[c].predicate].qualifiers.get("causal_mechanism_qualifier")
            == "antagonism"}
    assert want and bound(body) == want


def test_what_treats_treatment_resistant_depression(server: Server, toolkit: Any) -> None:
    body = ask(server, toolkit, one_hop({}, ["biolink:treats"], {"ids": [TRD]}))
    want = expected_pairs(server.kg, toolkit, "biolink:treats", lambda c: True, lambda c: c == TRD)
    assert want and bound(body) == want


def test_an_inverse_predicate_finds_stored_edges(server: Server, toolkit: Any) -> None:
    """Ketamine has_metabolite ? finds the metabolites' is_metabolite_of edges, in their stored direction."""
    body = ask(server, toolkit, one_hop({"ids": [KETAMINE]}, ["biolink:has_metabolite"], {}))
    want = expected_pairs(server.kg, toolkit, "biolink:has_metabolite", lambda c: c == KETAMINE, lambda c: True)
    assert want and bound(body) == want
    for edge in body["message"]["knowledge_graph"]["edges"].values():
        assert edge["predicate"] == "biolink:is_metabolite_of" and edge["object"] == KETAMINE


def test_a_category_only_query(server: Server, toolkit: Any) -> None:
    kg = server.kg

    def of(category: str) -> Any:
        return lambda c: kg.schema.node_kinds[kg.nodes[c].kind].biolink == category

    body = ask(server, toolkit, one_hop({"categories": ["biolink:SmallMolecule"]}, ["biolink:affects"],
                                        {"categories": ["biolink:MacromolecularComplex"]}))
    want = expected_pairs(kg, toolkit, "biolink:affects", of("biolink:SmallMolecule"),
                          of("biolink:MacromolecularComplex"))
    assert want and bound(body) == want
    # a parent category finds the same small molecules
    broader = ask(server, toolkit, one_hop({"categories": ["biolink:ChemicalEntity"]}, ["biolink:affects"],
                                           {"categories": ["biolink:MacromolecularComplex"]}))
    assert bound(broader) == want


def test_a_negated_claim_says_negated(server: Server, toolkit: Any) -> None:
    body = ask(server, toolkit, one_hop({"ids": [KETAMINE]}, ["biolink:treats"], {"ids": [PSYCHIATRIC]}))
    negated = {c.id for c in server.kg.claims.values()
               if (c.subject, c.object, c.predicate) == (KETAMINE, PSYCHIATRIC, "treats") and server.kg.is_negated(c)}
    assert negated, "the review says ketamine is not approved for psychiatric conditions"
    edges = body["message"]["knowledge_graph"]["edges"]
    assert negated <= set(edges)
    for claim_id in negated:
        assert attrs(edges[claim_id])["biolink:negated"] is True


def test_a_null_trial_is_a_trial_with_an_unchanged_outcome(server: Server, toolkit: Any) -> None:
    body = ask(server, toolkit, one_hop({"ids": [ESKETAMINE]}, ["biolink:in_clinical_trials_for"], {"ids": [TRD]}))
    nulls = {c.id for c in server.kg.claims.values() if c.subject == ESKETAMINE and c.object == TRD
             and server.kg.treatment_outcome(c) == "unchanged"}
    assert nulls, "the review reports esketamine trials in TRD that found no benefit"
    edges = body["message"]["knowledge_graph"]["edges"]
    for claim_id in nulls:
        values = attrs(edges[claim_id])
        assert values["biolink:treatment_outcome"] == "unchanged"
        assert "biolink:negated" not in values  # the trial was done


def test_an_equivalent_id_finds_the_node(server: Server, toolkit: Any) -> None:
    """Asked for ketamine by an xref (MeSH), the answer binds the graph's id and names the queried one."""
    xref = sorted(x for x in server.kg.nodes[KETAMINE].xref if x.startswith("MESH:"))[0]
    by_xref = ask(server, toolkit, one_hop({"ids": [xref]}, ["biolink:affects"], {}))
    by_id = ask(server, toolkit, one_hop({"ids": [KETAMINE]}, ["biolink:affects"], {}))
    assert bound(by_xref) == bound(by_id) and bound(by_id)
    for result in by_xref["message"]["results"]:
        assert result["node_bindings"]["n0"] == [{"id": KETAMINE, "query_id": xref, "attributes": []}]


def test_an_unknown_curie_finds_nothing_and_says_so(server: Server, toolkit: Any) -> None:
    body = ask(server, toolkit, one_hop({"ids": ["CHEBI:0000000"]}, ["biolink:affects"], {}))
    assert body["message"]["results"] == []
    assert any("CHEBI:0000000" in log["message"] for log in body["logs"])
    quiet = post(server.url, {**one_hop({"ids": ["CHEBI:0000000"]}, None, {}), "log_level": "WARNING"})[2]
    assert quiet["logs"] == []


@pytest.mark.parametrize(("query", "field", "status"), [
    # beyond a one-hop lookup: 501 (TRAPI's "not implemented")
    ({"message": {"query_graph": {"nodes": {"a": {"ids": [KETAMINE]}, "b": {}, "c": {}},
                                  "edges": {"e0": {"subject": "a", "object": "b"},
                                            "e1": {"subject": "b", "object": "c"}}}}},
     "message.query_graph.edges", 501),
    (one_hop({}, ["biolink:affects"], {}), "message.query_graph.nodes", 501),
    (one_hop({"ids": [KETAMINE], "set_interpretation": "ALL"}, None, {}),
     "message.query_graph.nodes.n0.set_interpretation", 501),
    ({**one_hop({"ids": [KETAMINE]}, None, {}), "workflow": [{"id": "score"}]}, "workflow[0].id", 501),
    # malformed, or naming what Biolink does not know: 400
    (one_hop({"ids": [KETAMINE]}, ["biolink:cures_everything"], {}), "message.query_graph.edges.e0.predicates[0]",
     400),
    (one_hop({"categories": ["biolink:Unicorn"]}, None, {}), "message.query_graph.nodes.n0.categories[0]", 400),
    ({"message": {"query_graph": {"nodes": {}, "edges": {"e0": {"subject": "x", "object": "y"}}}}},
     "message.query_graph.edges.e0.subject", 400),
    ({"message": {}}, "message.query_graph", 400),
    ([1, 2], "body", 400),
    # more ids on a node than the batch_size_limit of /openapi.json: 413
    (one_hop({"ids": [f"CHEBI:{n}" for n in range(1001)]}, None, {}), "message.query_graph.nodes.n0.ids", 413),
])
def test_refused_queries_get_the_trapi_status_naming_the_field(server: Server, query: Any, field: str,
                                                               status: int) -> None:
    from reasoner_pydantic import Response

    answered, _, body = post(server.url, query)
    assert answered == status
    assert body["field"] == field and field in body["description"]
    Response.model_validate(body)
    if status == 413:
        limit = request(server.url + "/openapi.json")[2]["info"]["x-trapi"]["batch_size_limit"]
        assert str(limit) in body["description"] and len(query["message"]["query_graph"]["nodes"]["n0"]["ids"]) > limit


def test_meta_knowledge_graph_lists_exactly_the_triples_held(server: Server, toolkit: Any) -> None:
    from reasoner_pydantic import MetaKnowledgeGraph

    status, _, body = request(server.url + "/meta_knowledge_graph")
    assert status == 200
    MetaKnowledgeGraph.model_validate(body)
    kg = server.kg

    def category(curie: str) -> str:
        return kg.schema.node_kinds[kg.nodes[curie].kind].biolink

    held = {(category(c.subject), kg.schema.predicates[c.predicate].biolink, category(c.object))
            for c in kg.claims.values()}
    listed = [(e["subject"], e["predicate"], e["object"]) for e in body["edges"]]
    assert len(listed) == len(set(listed)) and set(listed) == held
    assert set(body["nodes"]) == {category(c) for c in kg.nodes}
    for subject, predicate, obj in listed:
        assert toolkit.is_category(subject) and toolkit.is_category(obj) and toolkit.is_predicate(predicate)


def test_openapi_carries_translator_metadata(server: Server) -> None:
    status, _, body = request(server.url + "/openapi.json")
    assert status == 200
    info = body["info"]
    assert info["x-translator"]["infores"] == "infores:kmoa" and info["x-translator"]["component"] == "KP"
    assert info["x-translator"]["team"]
    assert info["x-trapi"]["version"] == "1.5.0" and "lookup" in info["x-trapi"]["operations"]
    assert "/query" in body["paths"] and "/meta_knowledge_graph" in body["paths"]
    assert {"translator", "trapi"} <= {tag["name"] for tag in body["tags"]}  # the registry reads tagged APIs only
    # every status /query may answer is one TRAPI gives it, described
    assert set(body["paths"]["/query"]["post"]["responses"]) == {"200", "400", "413", "429", "500", "501"}


def test_http_limits(server: Server) -> None:
    """A body too large is 413; a malformed length, body or media type 400 (TRAPI's codes); other methods 405."""
    def raw(method: str, headers: dict[str, str], body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
        return raw_request(server.url, method, "/query", headers, body)

    status, _, payload = raw("POST", {"Content-Type": "application/json", "Content-Length": str(MAX_BODY + 1)})
    assert status == 413 and b"limit" in payload
    status, _, payload = raw("POST", {"Content-Type": "application/json", "Content-Length": "-5"})
    assert status == 400 and b"Content-Length" in payload
    status, _, payload = raw("POST", {"Content-Type": "application/json", "Content-Length": "ten"})
    assert status == 400
    status, _, payload = raw("POST", {"Content-Type": "application/json"}, b"{not json")
    assert status == 400 and b"not JSON" in payload
    status, _, payload = raw("POST", {"Content-Type": "text/plain"}, b"{}")
    assert status == 400 and b"application/json" in payload
    status, headers, _ = raw("PUT", {"Content-Length": "0"})
    assert status == 405 and "POST" in headers["allow"]
    status, headers, _ = request(server.url + "/query")
    assert status == 405 and "POST" in headers["Allow"]


def local_server(server: Server, **options: Any) -> Any:
    """The real server class over the curated graph, in this process on a free port (``options``: its limits)."""
    from kmoa.loaders.servers.trapi_server import load_index, make_server

    local = make_server(load_index(kg=server.kg), port=0, quiet=True, **options)
    threading.Thread(target=local.serve_forever, daemon=True).start()
    return local


EVERYTHING = one_hop({"categories": ["biolink:NamedThing"]}, None, {"categories": ["biolink:NamedThing"]})


def test_a_capped_answer_says_it_is_cut(server: Server, toolkit: Any) -> None:
    """Past the result cap the client is told: description, a WARNING in logs, X-KMOA-Truncated."""
    local = local_server(server, limit=3)
    try:
        status, headers, body = post(local.url, EVERYTHING)
        quiet = post(local.url, {**EVERYTHING, "log_level": "ERROR"})[2]
    finally:
        local.shutdown()
        local.server_close()
    assert status == 200 and len(valid(body, toolkit)["message"]["results"]) == 3
    matched = len(post(server.url, EVERYTHING)[2]["message"]["results"])
    assert matched > 3
    assert headers["X-KMOA-Truncated"] == "true" and headers["X-KMOA-Result-Cap"] == "3"
    assert "Truncated" in body["description"] and f"{matched} results matched" in body["description"]
    assert any(log["level"] == "WARNING" and "result cap" in log["message"] for log in body["logs"])
    # a client that asked only for errors still reads it in the description
    assert quiet["logs"] == [] and "Truncated" in quiet["description"]
    # an answer within the cap is not marked
    status, headers, body = post(server.url, one_hop({"ids": [KETAMINE]}, ["biolink:has_metabolite"], {}))
    assert "X-KMOA-Truncated" not in headers and "Truncated" not in body["description"]


def test_a_query_past_its_deadline_is_500(server: Server) -> None:
    """TRAPI gives /query no 503: a query stopped at the server's timeout is an internal error that says so."""
    local = local_server(server, timeout=1e-9)
    try:
        status, _, body = post(local.url, EVERYTHING)
    finally:
        local.shutdown()
        local.server_close()
    assert status == 500 and "stopped" in body["description"] and "timeout" in body["description"]


def test_a_busy_server_answers_429_with_retry_after(server: Server) -> None:
    """Every query slot taken: the next query waits up to the timeout, then gets TRAPI's 429."""
    local = local_server(server, timeout=0.5)
    assert local.slots is not None
    taken = 0
    while local.slots.acquire(blocking=False):
        taken += 1
    try:
        status, headers, body = post(local.url, one_hop({"ids": [KETAMINE]}, None, {}))
    finally:
        for _ in range(taken):
            local.slots.release()
        local.shutdown()
        local.server_close()
    assert taken == 8
    assert status == 429 and headers["Retry-After"] == "1" and "too many" in body["description"]


def test_concurrent_clients_get_the_single_client_answers(server: Server) -> None:
    """20 loopback clients x 10 queries each: no errors, every answer as a lone client gets it."""
    queries = [
        one_hop({"ids": [KETAMINE]}, ["biolink:affects"], {}),
        one_hop({}, ["biolink:treats"], {"ids": [TRD]}),
        one_hop({"ids": [KETAMINE]}, ["biolink:has_metabolite"], {}),
        one_hop({"categories": ["biolink:SmallMolecule"]}, ["biolink:affects"],
                {"categories": ["biolink:MacromolecularComplex"]}),
        one_hop({"ids": [ESKETAMINE]}, ["biolink:in_clinical_trials_for"], {"ids": [TRD]}),
    ]
    alone = []
    for query in queries:
        status, _, body = post(server.url, query)
        assert status == 200
        alone.append(body["message"])

    def client(n: int) -> list[tuple[int, int, Any]]:
        out = []
        for i in range(10):
            k = (n + i) % len(queries)
            status, _, body = post(server.url, queries[k])
            out.append((k, status, body["message"] if status == 200 else body))
        return out

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = [a for batch in pool.map(client, range(20)) for a in batch]
    assert len(answers) == 200
    assert [status for _, status, _ in answers] == [200] * 200
    for k, _, message in answers:
        assert message == alone[k]


def test_ketamine_to_any_receptor(server: Server, toolkit: Any) -> None:
    """Ids on one node, a category on the other, no predicate (Biolink's related_to): every receptor claim."""
    kg = server.kg
    body = ask(server, toolkit, one_hop({"ids": [KETAMINE]}, None, {"categories": ["biolink:MacromolecularComplex"]}))
    want = expected_pairs(kg, toolkit, "biolink:related_to", lambda c: c == KETAMINE,
                          lambda c: kg.nodes[c].kind == "receptor")
    assert want and bound(body) == want


def test_no_outbound_connections(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading Biolink, indexing and answering over HTTP connect to nothing but loopback."""
    import ipaddress

    attempts: list[Any] = []
    connect = socket.socket.connect

    def guarded(sock: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback and sock.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(address)
            raise OSError(f"outbound connection to {address} refused by the test")
        return connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    local = local_server(server)
    try:
        status, _, body = post(local.url, one_hop({"ids": [KETAMINE]}, ["biolink:affects"], {}))
        assert status == 200 and body["message"]["results"]
        assert request(local.url + "/meta_knowledge_graph")[0] == 200
    finally:
        local.shutdown()
        local.server_close()
    assert attempts == []


def test_the_library_answers_as_the_server_does(server: Server) -> None:
    """`loaders.servers.trapi.answer(kg, message)` is the endpoint's answer, without HTTP."""
    from kmoa.loaders.servers.trapi import Biolink, answer

    query = one_hop({"ids": [KETAMINE]}, ["biolink:affects"], {})
    assert answer(server.kg, query, Biolink.load())["message"] == post(server.url, query)[2]["message"]


@pytest.mark.parametrize(("args", "option"), [
    (["--port", "-1"], "--port"), (["--port", "70000"], "--port"), (["--limit", "0"], "--limit"),
    (["--timeout", "0"], "--timeout"),
])
def test_bad_options_are_refused_before_loading(args: list[str], option: str) -> None:
    from click.testing import CliRunner

    from kmoa.cli import main

    result = CliRunner().invoke(main, ["serve", "trapi", *args])
    assert result.exit_code == 2 and option in result.output
