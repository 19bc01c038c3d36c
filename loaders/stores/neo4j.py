"""Load the kmoa graph into Neo4j with the official driver, and query it safely.

Connection settings come from arguments, else ``NEO4J_*`` variables, else the server a caller's
``local()`` names (``kmoa neo4j start``); every failure to connect is one ``Neo4jConnectionError``.
Rows (``graph.rows``) become nodes labelled by kind and category and relationships typed by the kmoa
predicate; a load is one transaction that replaces the previous graph (``load_rows``,
``Neo4jRowSink``); ``run_cypher`` lets the server decide what is read-only; ``trace_paths_cypher``
fetches path candidates with one Cypher query generated from the schema's walk rules. The graph
model, the atomic load and the read-only check are described in ``docs/atomic-loading.md``.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from operator import methodcaller
from typing import TYPE_CHECKING, Any

from kmoa.graph.results import QueryResult
from kmoa.graph.rows import canmat_level, edge_reading
from kmoa.loaders.base import Row, RowError, RowSink, write_rows
from kmoa.loaders.stores.adapter import Store

if TYPE_CHECKING:
    import neo4j

    from kmoa.graph.model import KnowledgeGraph
    from kmoa.graph.paths import MechanismPath, PathFilters
    from kmoa.ontology.schema import WalkRules

DEFAULT_DATABASE = "neo4j"
DEFAULT_USER = "neo4j"
DEFAULT_BATCH_SIZE = 20_000
DEFAULT_TIMEOUT = 10.0
DEFAULT_LIMIT = 10_000
PROGRESS_MIN_ROWS = 50_000
FORCE_WAIT_SECONDS = 30
LOAD_METADATA = "kmoa_load"
"""Transaction metadata key naming the generation a load transaction writes."""
CONNECTION_TIMEOUT = 10.0

ENTITY = "Entity"
STAGING = "KmoaStaging"
RETIRED = "KmoaRetired"
META = "KmoaMeta"
META_KEY = "kmoa"
SUPPORTED_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")

EDGE_ENDPOINT_COLUMNS = ("subject", "object")
NODE_JSON_COLUMNS = ("study_facts", "hypothesis", "comparison")


# --------------------------------------------------------------------------- errors


class Phases:
    """Seconds spent in each named phase of a load, in order: call it with a phase's name when it ends."""

    def __init__(self) -> None:
        self.began = self._mark = time.perf_counter()
        self.times: dict[str, float] = {}

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.times[name] = round(now - self._mark, 3)
        self._mark = now


class Neo4jConnectionError(ConnectionError):
    """Neo4j cannot be reached or refuses us; the message names the URI and what to check."""


class Neo4jLoadError(RuntimeError):
    """A load did not complete; the previously active graph is unchanged."""


class Neo4jRowError(Neo4jLoadError, RowError):
    """A row the load refuses before it writes anything (a duplicate id, an edge to an unknown node)."""


class InjectedFailure(Neo4jLoadError):
    """Raised by ``fail_after_batches`` to test that a failed load leaves the old graph intact."""


class CypherRefused(ValueError):
    """The query would write (or could not be checked) and ``write`` was not given."""


class CypherTimeout(TimeoutError):
    """The query ran past its timeout and the server stopped it."""


class CypherError(ValueError):
    """The server rejected the query (syntax, unknown function, ...)."""


# --------------------------------------------------------------------------- connection


@dataclass(frozen=True)
class ConnectionSettings:
    """Where the graph lives: URI, credentials and database name."""

    uri: str
    user: str
    password: str = field(repr=False)
    database: str = DEFAULT_DATABASE

    @classmethod
    def resolve(cls, uri: str | None = None, user: str | None = None, password: str | None = None,
                database: str | None = None, local: Callable[[], Any] | None = None) -> ConnectionSettings:
        """Arguments, else NEO4J_* variables, else the server ``local()`` names (``uri``, ``user``, ``password``).

        The application passes ``kmoa.neo4j_server.status`` (the running ``kmoa neo4j start`` server).
        """
        env = os.environ
        uri = uri or env.get("NEO4J_URI")
        user = user or env.get("NEO4J_USER")
        password = password if password is not None else env.get("NEO4J_PASSWORD")
        database = database or env.get("NEO4J_DATABASE") or DEFAULT_DATABASE
        if not uri:
            running = local() if local is not None else None
            if running is None:
                raise Neo4jConnectionError(
                    "No Neo4j server configured: set NEO4J_URI, NEO4J_USER and NEO4J_PASSWORD "
                    "(or pass --uri/--user/--password), or start the local one with "
                    "`eval \"$(kmoa neo4j start)\"`.")
            uri, user = running.uri, user or running.user
            password = password if password is not None else running.password
        return cls(uri=uri, user=user or DEFAULT_USER, password=password or "", database=database)


def _check_uri(uri: str) -> None:
    scheme = uri.split("://", 1)[0] if "://" in uri else ""
    if scheme not in SUPPORTED_SCHEMES:
        raise Neo4jConnectionError(
            f"Cannot use Neo4j URI '{uri}': the scheme must be one of {', '.join(SUPPORTED_SCHEMES)} "
            "(e.g. bolt://localhost:7687, neo4j+s://xxxx.databases.neo4j.io). Check NEO4J_URI or --uri.")


def connection_error(settings: ConnectionSettings, err: BaseException) -> Neo4jConnectionError:
    """Turn a driver exception into one clear, single-line Neo4jConnectionError."""
    import neo4j.exceptions as nx

    uri = settings.uri
    detail = _short(err)
    if isinstance(err, nx.AuthError):
        return Neo4jConnectionError(
            f"Neo4j at {uri} rejected the credentials of user '{settings.user}' ({detail}). "
            "Check NEO4J_USER and NEO4J_PASSWORD (or --user/--password).")
    if isinstance(err, nx.ServiceUnavailable):
        return Neo4jConnectionError(
            f"Neo4j at {uri} is not reachable ({detail}). Check that the server is running "
            "(`kmoa neo4j status`), and the host and port in NEO4J_URI or --uri.")
    if isinstance(err, (nx.ConfigurationError, ValueError)):
        return Neo4jConnectionError(
            f"Cannot use Neo4j URI '{uri}' ({detail}). Check NEO4J_URI or --uri "
            "(e.g. bolt://localhost:7687, neo4j+s://xxxx.databases.neo4j.io).")
    if isinstance(err, nx.ClientError) and "DatabaseNotFound" in (err.code or ""):
        return Neo4jConnectionError(
            f"Neo4j at {uri} has no database '{settings.database}'. Check NEO4J_DATABASE or --database "
            "(Community edition has only 'neo4j').")
    return Neo4jConnectionError(f"Neo4j at {uri} failed: {detail}")


def _short(err: BaseException) -> str:
    """One line of an exception's message (driver messages can span several)."""
    message = getattr(err, "message", None) or str(err) or type(err).__name__
    return " ".join(str(message).split())


def connect(settings: ConnectionSettings) -> neo4j.Driver:
    """Open a driver, check connectivity, credentials and the database; Neo4jConnectionError if not."""
    import neo4j
    import neo4j.exceptions as nx

    _check_uri(settings.uri)
    driver = None
    try:
        driver = neo4j.GraphDatabase.driver(
            settings.uri, auth=(settings.user, settings.password), connection_timeout=CONNECTION_TIMEOUT,
            notifications_min_severity="OFF", warn_notification_severity="OFF")
        driver.verify_connectivity()
        with driver.session(database=settings.database) as session:
            session.run("RETURN 1").consume()
    except (nx.Neo4jError, nx.DriverError, ValueError, OSError) as err:
        if driver is not None:
            driver.close()
        raise connection_error(settings, err) from None
    return driver


@contextmanager
def open_driver(settings: ConnectionSettings) -> Iterator[neo4j.Driver]:
    """``connect`` as a context manager that closes the driver."""
    driver = connect(settings)
    try:
        yield driver
    finally:
        driver.close()


# --------------------------------------------------------------------------- rows -> graph


def quote_name(name: str) -> str:
    """Quote a label, type or property name as a backticked Cypher identifier."""
    return "`" + name.replace("`", "``") + "`"


def category_label(category: str) -> str:
    """Biolink category as a label: ``biolink:SmallMolecule`` -> ``biolink_SmallMolecule``."""
    return re.sub(r"[^A-Za-z0-9_]", "_", category)


def kind_label(kind: str) -> str:
    """Node kind as a CamelCase label: ``adverse_effect`` -> ``AdverseEffect``."""
    return "".join(part.capitalize() for part in kind.split("_"))


def node_labels(row: Row) -> tuple[str, ...]:
    """Labels of a node row besides ``Entity``: its kind, then its Biolink categories."""
    categories = row.get("category") or []
    if isinstance(categories, str):
        categories = [categories]
    return (kind_label(row["kmoa_kind"]), *(category_label(c) for c in categories))


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """Drop nulls, empty strings and empty lists: absent properties, as in every store and the bulk importer."""
    return {k: v for k, v in values.items() if v is not None and v != "" and v != []}


def _flat_study(facts: dict[str, Any]) -> dict[str, Any]:
    return {k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in facts.items()}


def _flat_hypothesis(hyp: dict[str, Any]) -> dict[str, Any]:
    flat = {k: v for k, v in hyp.items() if k not in ("route", "steps")}
    flat["route_number"] = hyp.get("route")
    steps = hyp.get("steps") or []
    flat["step_claims"] = [s["claim"] for s in steps]
    flat["step_captions"] = [s["caption"] for s in steps]
    return flat


def node_properties(row: Row) -> dict[str, Any]:
    """Neo4j properties of a KGX node row (nested dicts as JSON plus flattened scalars)."""
    props: dict[str, Any] = {k: v for k, v in row.items() if k not in NODE_JSON_COLUMNS}
    study, hyp = row.get("study_facts"), row.get("hypothesis")
    if study:
        props.update(_flat_study(study))
        props["study_facts"] = json.dumps(study, sort_keys=True, ensure_ascii=False)
    if hyp:
        props.update(_flat_hypothesis(hyp))
        props["hypothesis"] = json.dumps(hyp, sort_keys=True, ensure_ascii=False)
    comparison = row.get("comparison")
    if comparison:
        props["comparison_result"] = comparison["result"]
        props["comparison"] = json.dumps(comparison, sort_keys=True, ensure_ascii=False)
    for core in ("id", "name", "kmoa_kind", "category"):  # flattened facts never shadow the node's own
        props[core] = row[core]
    return _clean(props)


def edge_properties(row: Row) -> dict[str, Any]:
    """Neo4j properties of a KGX edge row (``predicate`` becomes ``biolink_predicate``)."""
    props = {k: v for k, v in row.items() if k not in EDGE_ENDPOINT_COLUMNS and k != "predicate"}
    props["biolink_predicate"] = row.get("predicate")
    props["canmat_level"] = canmat_level(row.get("evidence_level"))
    props["asserted"] = finding_asserted(row.get("finding"), row.get("kmoa_predicate"))
    return _clean(props)


def edge_columns(rows: Sequence[Row]) -> dict[str, list[Any]]:
    """``edge_properties`` of many rows at once, column by column (no dict per row); ids excluded."""
    keys = set().union(*rows) - {"id", "predicate", *EDGE_ENDPOINT_COLUMNS}
    order = tuple(rows[0]) if rows else ()
    if all(tuple(row) == order for row in rows):
        # Rows with the same columns in the same order (an import's): read them as columns at once.
        every = dict(zip(order, map(list, zip(*map(methodcaller("values"), rows), strict=True)), strict=True))
        columns = {key: every[key] for key in sorted(keys)}
    else:
        columns = {key: [row.get(key) for row in rows] for key in sorted(keys)}
    columns["biolink_predicate"] = [row.get("predicate") for row in rows]
    levels: dict[Any, int | None] = {}
    columns["canmat_level"] = [levels[v] if v in levels else levels.setdefault(v, canmat_level(v))
                               for v in columns.get("evidence_level", [None] * len(rows))]
    asserted: dict[tuple[Any, Any], bool] = {}
    columns["asserted"] = [asserted[fp] if fp in asserted else asserted.setdefault(fp, finding_asserted(*fp))
                           for fp in zip(columns.get("finding", [None] * len(rows)),
                                         columns.get("kmoa_predicate", [None] * len(rows)), strict=True)]
    return columns


def finding_asserted(finding: str | None, predicate: str | None = None) -> bool:
    """Whether a relationship states what the review asserts (``graph.rows.edge_reading``; no finding: an import's)."""
    from kmoa.ontology.schema import load_schema

    return edge_reading(load_schema(), {"finding": finding, "kmoa_predicate": predicate})[0]


@dataclass
class LoadPlan:
    """Checked rows ready for the batched writes."""

    nodes: list[dict[str, Any]]  # {"id": ..., "p": properties}
    edges_by_type: dict[str, list[Row]]  # edge rows by kmoa predicate
    label_groups: dict[tuple[str, ...], tuple[str, tuple[str, ...]]]

    @property
    def edge_count(self) -> int:
        """Number of relationships to write."""
        return sum(len(rows) for rows in self.edges_by_type.values())

    def nodes_by_labels(self) -> list[tuple[tuple[str, ...], list[dict[str, Any]]]]:
        """The nodes grouped by label set (labels cannot be parameters), sorted by labels."""
        labels_of = {group: labels for labels, group in self.label_groups.items()}
        grouped: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for node in self.nodes:
            category = node["p"].get("category") or []
            key = (node["p"]["kmoa_kind"], tuple([category] if isinstance(category, str) else category))
            grouped.setdefault(labels_of[key], []).append(node)
        return sorted(grouped.items())


def plan_load(nodes: Iterable[Row], edges: Iterable[Row]) -> LoadPlan:
    """Validate rows (unique ids, known endpoints) and shape them for Cypher parameters."""
    staged: list[dict[str, Any]] = []
    seen: set[str] = set()
    groups: dict[tuple[str, ...], tuple[str, tuple[str, ...]]] = {}
    for row in nodes:
        curie = row["id"]
        if curie in seen:
            raise Neo4jRowError(f"duplicate node id '{curie}'")
        seen.add(curie)
        labels = node_labels(row)
        category = row.get("category") or []
        categories = tuple([category] if isinstance(category, str) else category)
        groups.setdefault(labels, (row["kmoa_kind"], categories))
        props = node_properties(row)
        del props["id"]  # set by the MERGE pattern
        staged.append({"id": curie, "p": props})
    by_type: dict[str, list[Row]] = {}
    edge_ids: set[str] = set()
    for row in edges:
        claim_id = row["id"]
        if claim_id in edge_ids:
            raise Neo4jRowError(f"duplicate edge id '{claim_id}'")
        edge_ids.add(claim_id)
        for end in EDGE_ENDPOINT_COLUMNS:
            if row[end] not in seen:
                raise Neo4jRowError(f"edge '{claim_id}' has unknown {end} '{row[end]}'")
        by_type.setdefault(row["kmoa_predicate"], []).append(row)
    return LoadPlan(staged, by_type, groups)


# --------------------------------------------------------------------------- schema


def schema_statements() -> list[str]:
    """Constraints and indexes, created before any data (all ``IF NOT EXISTS``)."""
    return [
        f"CREATE CONSTRAINT kmoa_entity_id IF NOT EXISTS FOR (n:{ENTITY}) REQUIRE n.id IS UNIQUE",
        f"CREATE CONSTRAINT kmoa_staging_id IF NOT EXISTS FOR (n:{STAGING}) "
        "REQUIRE (n.load_id, n.id) IS UNIQUE",
        f"CREATE CONSTRAINT kmoa_meta_key IF NOT EXISTS FOR (n:{META}) REQUIRE n.key IS UNIQUE",
        f"CREATE INDEX kmoa_entity_name IF NOT EXISTS FOR (n:{ENTITY}) ON (n.name)",
        f"CREATE INDEX kmoa_entity_kind IF NOT EXISTS FOR (n:{ENTITY}) ON (n.kmoa_kind)",
        f"CREATE INDEX kmoa_entity_load IF NOT EXISTS FOR (n:{ENTITY}) ON (n.load_id)",
        f"CREATE INDEX kmoa_retired_load IF NOT EXISTS FOR (n:{RETIRED}) ON (n.load_id)",
        "CREATE INDEX kmoa_study_n IF NOT EXISTS FOR (n:Study) ON (n.n)",
    ]


def ensure_schema(driver: neo4j.Driver, database: str = DEFAULT_DATABASE) -> None:
    """Create the constraints and indexes and wait until they are online."""
    with driver.session(database=database) as session:
        for statement in schema_statements():
            session.run(statement).consume()
        session.run("CALL db.awaitIndexes(300)").consume()


# --------------------------------------------------------------------------- load


@dataclass(frozen=True)
class LoadResult:
    """What a completed load wrote."""

    nodes: int
    relationships: int
    load_id: str
    previous: str | None
    seconds: float
    stage_seconds: float
    phases: dict[str, float] = field(default_factory=dict)
    """Seconds per phase: plan, prepare (schema, lock, old generation deleted), nodes, relationships, switch."""

    @property
    def edges_per_second(self) -> float:
        """Relationships written per second of the relationship phase."""
        seconds = self.phases.get("relationships", 0.0)
        return self.relationships / seconds if seconds else float("nan")


def new_load_id() -> str:
    """Return a sortable, unique generation id."""
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + secrets.token_hex(4)


def _batches(rows: Sequence[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(rows), size):
        yield list(rows[start:start + size])


@dataclass(frozen=True)
class Batch:
    """One write transaction: its Cypher, parameters and row count."""

    query: str
    params: dict[str, Any]
    size: int


def split_columns(columns: dict[str, list[Any]]) -> tuple[list[str], dict[str, Any], list[list[Any]]]:
    """Split property columns into varying ones (names and value lists) and shared values.

    Empty strings, empty lists and nulls are absent properties (the bulk importer cannot write an
    empty list either, so both loads give the same graph). A column whose rows all hold the same value
    travels once per batch (``$common``); the others travel as positional lists, so property
    names are not repeated in every row.
    """
    varying: list[str] = []
    values: list[list[Any]] = []
    common: dict[str, Any] = {}
    for name, column in columns.items():
        column = [None if v == "" or v == [] else v for v in column]
        size = len(column)
        if column.count(None) == size:
            continue
        first = column[0]
        if first is not None and column.count(first) == size:
            common[name] = first
        else:
            varying.append(name)
            values.append(column)
    return varying, common, values


def _sets(var: str, columns: list[str], common: dict[str, Any], offset: int) -> str:
    """Explicit SETs (a ``+= map`` would make the planner add an Eager for the MERGE's ``id``)."""
    parts = [f"{var}.{quote_name(c)} = $common.{quote_name(c)}" for c in sorted(common)]
    parts += [f"{var}.{quote_name(c)} = row[{i + offset}]" for i, c in enumerate(columns)]
    return ("SET " + ", ".join(parts)) if parts else ""


def node_batch(rows: list[dict[str, Any]], load_id: str, labels: Sequence[str] = ()) -> Batch:
    """CREATE nodes with ``Entity`` and labels (``row[0]`` is the id, then the varying properties).

    Returns each id's element id. Ids are checked unique beforehand and the generation is fresh.
    """
    keys = sorted(set().union(*(r["p"] for r in rows)))
    columns, common, values = split_columns({k: [r["p"].get(k) for r in rows] for k in keys})
    label_text = ":".join(quote_name(label) for label in (ENTITY, *labels))
    query = (f"UNWIND $rows AS row CREATE (n:{label_text} {{load_id: $gen, id: row[0]}}) "
             + _sets("n", columns, common, 1) + " RETURN row[0] AS id, elementId(n) AS eid")
    data = list(zip([r["id"] for r in rows], *values, strict=True))
    return Batch(query, {"rows": data, "common": common, "gen": load_id}, len(rows))


def edge_batch(rel_type: str, rows: list[Row], load_id: str, element_ids: dict[str, str]) -> Batch:
    """CREATE relationships of one type: ``row`` = [id, subject, object, props...].

    End nodes are found by the element ids their node batches returned (a direct record lookup,
    about twice as fast as an index seek), checked to be nodes of this load. The patterns carry no
    label: with one, a new server's empty statistics made the planner seek the ``load_id`` index
    and filter the whole load by element id for every row (837 relationships a second).
    """
    columns, common, values = split_columns(edge_columns(rows))
    query = (f"UNWIND $rows AS row "
             "MATCH (a) WHERE elementId(a) = row[1] AND a.load_id = $gen "
             "MATCH (b) WHERE elementId(b) = row[2] AND b.load_id = $gen "
             f"CREATE (a)-[r:{quote_name(rel_type)} {{id: row[0]}}]->(b) " + _sets("r", columns, common, 3))
    data = list(zip([r["id"] for r in rows], [element_ids[r["subject"]] for r in rows],
                    [element_ids[r["object"]] for r in rows], *values, strict=True))
    return Batch(query, {"rows": data, "common": common, "gen": load_id}, len(rows))


def loads_in_progress(driver: neo4j.Driver, database: str = DEFAULT_DATABASE) -> list[dict[str, Any]]:
    """Open load transactions on this database (id, generation, start), as SHOW TRANSACTIONS lists them.

    Every load runs in one transaction whose metadata names its generation (``kmoa_load``); a
    user sees their own transactions, so loads by the same user are always found. Terminated ones
    (``--force``) are left out: the server has released their locks and rolls them back.
    """
    records = driver.execute_query(
        "SHOW TRANSACTIONS YIELD transactionId, metaData, startTime, database, status "
        f"WHERE metaData.{LOAD_METADATA} IS NOT NULL AND database = $db AND NOT status STARTS WITH 'Terminated' "
        f"RETURN transactionId AS id, metaData.{LOAD_METADATA} AS generation, toString(startTime) AS since",
        db=database, database_=database).records
    return [dict(record) for record in records]


def _claim(driver: neo4j.Driver, database: str, force: bool) -> None:
    """Refuse to start while another load's transaction is open, unless ``force`` stops it."""
    running = loads_in_progress(driver, database)
    if not running:
        return
    if not force:
        first = running[0]
        raise Neo4jLoadError(
            f"another load (generation {first['generation']}, since {first['since']}) is in progress on this "
            "database; wait for it to finish, or pass --force to stop it (its transaction is rolled back)")
    driver.execute_query("TERMINATE TRANSACTIONS $ids", ids=[r["id"] for r in running], database_=database)
    deadline = time.monotonic() + FORCE_WAIT_SECONDS
    while loads_in_progress(driver, database):
        if time.monotonic() > deadline:
            raise Neo4jLoadError(f"the running load did not stop within {FORCE_WAIT_SECONDS} s of --force")
        time.sleep(0.2)


def _take_over(tx: neo4j.Transaction, load_id: str) -> str | None:
    """Lock the KmoaMeta node for this transaction and delete every kmoa node; return the old generation.

    The write lock on KmoaMeta serialises loads that started together. Deleting inside the load's
    own transaction means readers see the old graph until the commit and never an empty one.
    Nodes of earlier layouts' staged or retired generations go too.
    """
    meta = tx.run(f"MERGE (m:{META} {{key: $key}}) SET m.loading = $gen RETURN m.active AS active",
                  key=META_KEY, gen=load_id).single()
    tx.run(f"MATCH (n:{ENTITY}) WHERE n.load_id IS NOT NULL DETACH DELETE n").consume()
    tx.run(f"MATCH (n) WHERE n:{STAGING} OR n:{RETIRED} DETACH DELETE n").consume()
    return str(meta["active"]) if meta is not None and meta["active"] is not None else None


def _activate(tx: neo4j.Transaction, plan: LoadPlan, load_id: str, previous: str | None) -> None:
    """Check the written counts and record the new generation as active (committed with it)."""
    written = tx.run(f"MATCH (n:{ENTITY}) WHERE n.load_id = $gen "
                     "RETURN count(n) AS nodes, sum(COUNT { (n)-->() }) AS rels", gen=load_id).single()
    if written is None or written["nodes"] != len(plan.nodes) or written["rels"] != plan.edge_count:
        found = (written["nodes"], written["rels"]) if written else (0, 0)
        raise Neo4jLoadError(f"generation {load_id} is incomplete: {found[0]}/{len(plan.nodes)} "
                             f"nodes, {found[1]}/{plan.edge_count} relationships")
    all_labels = sorted({label for labels in plan.label_groups for label in labels})
    tx.run(f"MATCH (m:{META} {{key: $key}}) SET m.active = $gen, m.previous = $old, m.labels = $labels, "
           "m.nodes = $nodes, m.relationships = $rels, m.loaded_at = datetime() "
           "REMOVE m.loading, m.heartbeat",
           key=META_KEY, gen=load_id, old=previous, labels=all_labels, nodes=len(plan.nodes),
           rels=plan.edge_count).consume()


def _progress(total: int, show: bool | None) -> Any:
    from tqdm import tqdm

    if show is None:
        show = total >= PROGRESS_MIN_ROWS and sys.stderr.isatty()
    return tqdm(total=total, unit="rows", desc="neo4j load", file=sys.stderr, disable=not show,
                dynamic_ncols=True)


def _node_batches(plan: LoadPlan, load_id: str, batch_size: int) -> Iterator[Batch]:
    """Node batches grouped by label set (labels cannot be parameters)."""
    for labels, rows in plan.nodes_by_labels():
        for chunk in _batches(rows, batch_size):
            yield node_batch(chunk, load_id, labels)


def load_rows(driver: neo4j.Driver, nodes: Iterable[Row], edges: Iterable[Row], *,
              database: str = DEFAULT_DATABASE, batch_size: int = DEFAULT_BATCH_SIZE,
              fail_after_batches: int | None = None, on_batch: Callable[[int], None] | None = None,
              progress: bool | None = None, force: bool = False) -> LoadResult:
    """Replace the graph in Neo4j with these rows (``graph.rows``) in one transaction (docs/atomic-loading.md).

    ``force`` stops another load whose transaction is still open (a hung or stopped process).
    ``fail_after_batches=N`` raises :class:`InjectedFailure` after N written batches;
    ``on_batch(i)`` is called after each written batch (i from 1). Both exist for tests.
    """
    import neo4j.exceptions as nx

    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    phase = Phases()
    began, phases = phase.began, phase.times

    plan = plan_load(nodes, edges)
    phase("plan")
    load_id = new_load_id()
    ensure_schema(driver, database)
    _claim(driver, database, force)
    total = -(-len(plan.nodes) // batch_size) + sum(-(-len(r) // batch_size) for r in plan.edges_by_type.values())
    done = 0
    try:
        with driver.session(database=database) as session, \
                session.begin_transaction(metadata={LOAD_METADATA: load_id}) as tx, \
                _progress(len(plan.nodes) + plan.edge_count, progress) as bar:
            previous = _take_over(tx, load_id)
            phase("prepare")
            element_ids: dict[str, str] = {}

            def write(batch: Batch) -> None:
                nonlocal done
                for record in tx.run(batch.query, batch.params):
                    element_ids[str(record["id"])] = str(record["eid"])
                done += 1
                bar.update(batch.size)
                if on_batch is not None:
                    on_batch(done)
                if fail_after_batches is not None and done >= fail_after_batches:
                    raise InjectedFailure(f"injected failure after {done} of {total} batches")

            for batch in _node_batches(plan, load_id, batch_size):
                write(batch)
            phase("nodes")
            for rel_type, edges_of_type in sorted(plan.edges_by_type.items()):
                for rows in _batches(edges_of_type, batch_size):
                    write(edge_batch(rel_type, rows, load_id, element_ids))
            phase("relationships")
            staged_at = time.perf_counter()
            _activate(tx, plan, load_id, previous)
            tx.commit()
            phase("switch")
    except nx.Neo4jError as err:
        if "Memory" in (err.code or "") or "memory" in _short(err).lower():
            raise Neo4jLoadError(
                f"the server ran out of transaction memory for this load of {plan.edge_count:,} relationships "
                f"in one transaction ({_short(err)}); the previous graph is unchanged. Load it with the bulk "
                "importer (--mode bulk, on the `kmoa neo4j start` server), or give the server more heap "
                "(KMOA_NEO4J_HEAP for `kmoa neo4j start`) or a higher db.memory.transaction.total.max") from None
        raise
    return LoadResult(nodes=len(plan.nodes), relationships=plan.edge_count, load_id=load_id,
                      previous=previous, seconds=round(time.perf_counter() - began, 3),
                      stage_seconds=round(staged_at - began, 3), phases=phases)


class Neo4jRowSink(RowSink):
    """Rows into Neo4j, replacing its graph in one transaction at ``finish`` (``load_rows``).

    The transaction's plan groups relationships by type, so the rows are gathered until
    ``finish``; ``result`` is what the load returned afterwards. ``load(nodes, edges)`` replaces
    the one-transaction load (the command line passes its full reload, which may use the bulk
    importer of the local server).
    """

    def __init__(self, driver: neo4j.Driver, load: Callable[[list[Row], list[Row]], Any] | None = None,
                 **options: Any) -> None:
        self.driver, self.load, self.options = driver, load, options
        self.nodes: list[Row] = []
        self.edges: list[Row] = []
        self.result: Any = None

    def write_node(self, row: Row) -> None:
        """Gather a node row."""
        self.nodes.append(row)

    def write_edge(self, row: Row) -> None:
        """Gather an edge row."""
        self.edges.append(row)

    def finish(self) -> None:
        """Load every gathered row at once."""
        if self.load is not None:
            self.result = self.load(self.nodes, self.edges)
        else:
            self.result = load_rows(self.driver, self.nodes, self.edges, **self.options)


def load_graph(driver: neo4j.Driver, kg: KnowledgeGraph, **options: Any) -> LoadResult:
    """Load a KnowledgeGraph (its rows) into Neo4j; options as for :func:`load_rows`."""
    from kmoa.graph.rows import edge_rows, node_rows

    sink = write_rows(Neo4jRowSink(driver, **options), node_rows(kg), edge_rows(kg))
    assert isinstance(sink, Neo4jRowSink) and sink.result is not None
    return sink.result


def graph_counts(driver: neo4j.Driver, database: str = DEFAULT_DATABASE) -> tuple[int, int]:
    """Nodes and relationships of the active graph."""
    records = driver.execute_query(
        f"MATCH (n:{ENTITY}) WITH count(n) AS nodes MATCH (:{ENTITY})-[r]->() RETURN nodes, count(r) AS rels",
        database_=database, routing_="r").records
    return int(records[0]["nodes"]), int(records[0]["rels"])


def active_generation(driver: neo4j.Driver, database: str = DEFAULT_DATABASE) -> dict[str, Any] | None:
    """Return the KmoaMeta record of the active load (generation id, counts, time), or None."""
    records = driver.execute_query(f"MATCH (m:{META} {{key: $key}}) RETURN properties(m) AS m", key=META_KEY,
                                   database_=database, routing_="r").records
    return dict(records[0]["m"]) if records else None


# --------------------------------------------------------------------------- queries


READ_OPERATORS = frozenset("""
AllNodesScan Anti AntiSemiApply Apply Argument ArgumentTracker CacheProperties CartesianProduct
DirectedAllRelationshipsScan DirectedRelationshipByElementIdSeek DirectedRelationshipByIdSeek
DirectedRelationshipIndexContainsScan DirectedRelationshipIndexEndsWithScan DirectedRelationshipIndexScan
DirectedRelationshipIndexSeek DirectedRelationshipIndexSeekByRange DirectedRelationshipTypeScan
DirectedUnionRelationshipTypesScan Distinct Eager EagerAggregation EmptyResult EmptyRow ExhaustiveLimit Expand
Filter IntersectionNodeByLabelsScan LetAntiSemiApply LetSelectOrAntiSemiApply LetSelectOrSemiApply LetSemiApply
Limit MultiNodeIndexSeek NodeByElementIdSeek NodeByIdSeek NodeByLabelScan NodeCountFromCountStore NodeHashJoin
NodeIndexContainsScan NodeIndexEndsWithScan NodeIndexScan NodeIndexSeek NodeIndexSeekByRange NodeLeftOuterHashJoin
NodeRightOuterHashJoin NodeUniqueIndexSeek NodeUniqueIndexSeekByRange NullifyMetadata Optional OptionalExpand
OrderedAggregation OrderedDistinct PartialSort PartialTop ProcedureCall ProduceResults ProjectEndpoints Projection
RelationshipCountFromCountStore Repeat RollUpApply SelectOrAntiSemiApply SelectOrSemiApply SemiApply ShortestPath
ShowConstraints ShowFunctions ShowIndexes ShowProcedures Skip Sort StatefulShortestPath SubtractionNodeByLabelsScan
Top TriadicBuild TriadicFilter TriadicSelection
UndirectedAllRelationshipsScan UndirectedRelationshipByElementIdSeek UndirectedRelationshipByIdSeek
UndirectedRelationshipIndexContainsScan UndirectedRelationshipIndexEndsWithScan UndirectedRelationshipIndexScan
UndirectedRelationshipIndexSeek UndirectedRelationshipIndexSeekByRange UndirectedRelationshipTypeScan
UndirectedUnionRelationshipTypesScan Union UnionNodeByLabelsScan Unwind ValueHashJoin VarLengthExpand
""".split())
"""Plan operators (Cypher manual, "Operators") that only read the graph of the session's database.

The catalogue listings (``SHOW INDEXES``, ``CONSTRAINTS``, ``PROCEDURES``, ``FUNCTIONS``) are reads of
the schema. Anything else is refused without ``write``: updating operators, ``LoadCSV`` (reads files
and URLs on the server), ``ShowTransactions``, ``ShowSettings`` and ``TerminateTransactions`` (see and
stop other sessions' work, read the server's configuration), ``AdministrationCommand`` (system
database), ``TransactionApply`` and ``TransactionForeach`` (commit in several transactions), and any
operator this list does not know (a newer server's).
"""

ALLOWED_PROCEDURES = frozenset({
    "db.labels", "db.relationshipTypes", "db.propertyKeys", "db.schema.visualization",
    "db.schema.nodeTypeProperties", "db.schema.relTypeProperties",
})
"""Procedures a read-only query may call: the schema summaries. Everything else (``dbms.*``, plugins
such as ``apoc.*``, ``db.*`` procedures that administer) is refused without ``write``."""

OPERATOR_REASONS = {
    "LoadCSV": "reads files or URLs on the server (LOAD CSV)",
    "TerminateTransactions": "terminates transactions",
    "ShowTransactions": "shows other sessions' transactions",
    "ShowSettings": "shows the server's configuration",
    "TransactionApply": "commits in several transactions (CALL ... IN TRANSACTIONS)",
    "TransactionForeach": "commits in several transactions (CALL ... IN TRANSACTIONS)",
    "AdministrationCommand": "administers the server",
}

_PROCEDURE_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\(")


@dataclass(frozen=True)
class PlanOperator:
    """One operator of a server plan: its name (``Expand``), database and Details text."""

    name: str
    database: str
    details: str


def plan_operators(plan: Any) -> list[PlanOperator]:
    """Every operator of a driver plan (``summary.plan``), depth first.

    ``operatorType`` reads ``Expand(All)@neo4j``: the name, a variant in parentheses, and the
    database the operator runs on.
    """
    found: list[PlanOperator] = []
    stack = [plan] if plan else []
    while stack:
        node = stack.pop()
        kind, _, database = str(node.get("operatorType", "")).partition("@")
        args = node.get("args") or node.get("arguments") or {}
        found.append(PlanOperator(kind.split("(", 1)[0], database, str(args.get("Details") or "")))
        stack.extend(reversed(node.get("children") or []))
    return found


def plan_refusal(kind: str, operators: Sequence[PlanOperator], database: str,
                 user_functions: Iterable[str] = ()) -> str | None:
    """Why a plan is not read-only (None if it is): the decision :func:`run_cypher` enforces.

    Read-only means: EXPLAIN's query type ``r``; every operator on :data:`READ_OPERATORS` and
    running on ``database``; procedure calls only to :data:`ALLOWED_PROCEDURES`; no call of a
    user-defined function (plugins; ``user_functions`` lists them, as ``SHOW FUNCTIONS`` does).
    """
    if kind != "r":
        return refusal(kind)
    functions = [name.lower() for name in user_functions]
    for op in operators:
        if op.database and op.database != database:
            return _refused(f"runs on database '{op.database}' (queries may read '{database}' only)")
        if op.name == "ProcedureCall":
            match = _PROCEDURE_NAME.match(op.details)
            name = match.group(1) if match else op.details
            if name not in ALLOWED_PROCEDURES:
                return _refused(f"calls procedure {name} (read-only queries may call "
                                f"{', '.join(sorted(ALLOWED_PROCEDURES))})")
        elif op.name not in READ_OPERATORS:
            return _refused(OPERATOR_REASONS.get(op.name, f"uses plan operator {op.name}, which is not a read"))
        called = re.sub(r"\s*\.\s*", ".", op.details.replace("`", "")).lower()
        for function in functions:
            if re.search(rf"(?<![\w.]){re.escape(function)}\s*\(", called):
                return _refused(f"calls the user-defined function {function}")
    return None


def _refused(what: str) -> str:
    return f"refused: the query {what}; queries are read-only by default, pass --write to run it"


def refusal(kind: str) -> str:
    """Explain why a query that EXPLAIN did not classify as read-only is refused."""
    kinds = {"w": "writes", "rw": "reads and writes", "s": "changes the schema or administers the server"}
    what = kinds.get(kind, f"is of type '{kind}'")
    return f"refused: the query {what}, and queries are read-only by default; pass --write to run it"


def explain(tx: neo4j.Transaction | neo4j.Session, query: str, params: dict[str, Any] | None = None,
            timeout: float = DEFAULT_TIMEOUT) -> tuple[str, list[PlanOperator]]:
    """The server's query type (``r``, ``w``, ``rw``, ``s``) and plan of exactly ``query``; nothing runs.

    The text goes to the server unmodified behind ``EXPLAIN``, so the plan is of what the server
    reads, whatever comments, line ends, escapes or prefixes the text holds. A text that is itself
    ``PROFILE ...`` conflicts with ``EXPLAIN`` and the server rejects it (a :class:`CypherRefused`).
    """
    import neo4j

    text = "EXPLAIN " + query
    if isinstance(tx, neo4j.Session):
        summary = tx.run(neo4j.Query(text, timeout=timeout), params or {}).consume()
    else:
        summary = tx.run(text, params or {}).consume()
    return str(summary.query_type or ""), plan_operators(summary.plan)


def user_defined_functions(session: neo4j.Session, timeout: float = DEFAULT_TIMEOUT) -> list[str]:
    """Names of the server's non-built-in functions (plugins), which a read-only query may not call."""
    import neo4j

    query = neo4j.Query("SHOW FUNCTIONS YIELD name, isBuiltIn WHERE NOT isBuiltIn RETURN name", timeout=timeout)
    return [str(r["name"]) for r in session.run(query)]


@contextmanager
def _translated(stopped: str, during: str) -> Iterator[None]:
    """The driver's errors as kmoa's: a lost server, a timeout (``stopped`` says what), a refusal, a Cypher error."""
    import neo4j.exceptions as nx

    try:
        yield
    except (nx.ServiceUnavailable, nx.SessionExpired) as err:
        raise Neo4jConnectionError(f"Neo4j became unreachable during {during}: {_short(err)}") from None
    except nx.Neo4jError as err:
        raise _query_error(err, stopped) from None


def _query_error(err: BaseException, stopped: str) -> Exception:
    import neo4j.exceptions as nx

    code = getattr(err, "code", "") or ""
    message = _short(err)
    if "TransactionTimedOut" in code or "Terminated" in code:
        return CypherTimeout(stopped)
    if "conflicting values for execution mode" in message:
        return CypherRefused("refused: PROFILE runs the query to measure it, and queries are read-only by "
                             "default; pass --write to run it")
    if isinstance(err, nx.CypherSyntaxError):
        return CypherError(f"Cypher syntax error: {message}")
    if "AccessMode" in code or "Forbidden" in code:
        return CypherRefused(f"the server refused a write in a read-only transaction: {message}")
    return CypherError(message)


def plain(value: Any) -> Any:
    """Driver values as plain JSON-able Python (nodes and relationships as property maps)."""
    import neo4j.graph as ng

    if isinstance(value, ng.Node):
        return {"_labels": sorted(value.labels), **{k: plain(v) for k, v in value.items()}}
    if isinstance(value, ng.Relationship):
        return {"_type": value.type, **{k: plain(v) for k, v in value.items()}}
    if isinstance(value, ng.Path):
        return {"nodes": [plain(n) for n in value.nodes],
                "relationships": [plain(r) for r in value.relationships]}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    iso = getattr(value, "iso_format", None)
    return iso() if callable(iso) else str(value)


def run_cypher(driver: neo4j.Driver, query: str, params: dict[str, Any] | None = None, *,
               database: str = DEFAULT_DATABASE, timeout: float = DEFAULT_TIMEOUT, limit: int = DEFAULT_LIMIT,
               write: bool = False) -> QueryResult:
    """Run one Cypher statement: read-only unless ``write``, with a timeout and a row cap.

    Read-only queries run in one READ access-mode transaction that is rolled back, never
    committed: first ``EXPLAIN`` of the unmodified text (:func:`explain`), judged by
    :func:`plan_refusal`, then the same text. The server thus decides on exactly what it runs,
    refuses writes itself in that transaction, and the timeout covers both steps.
    """
    import neo4j

    if not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, not {timeout}")
    if limit < 0:
        raise ValueError(f"limit must be 0 or more rows, not {limit}")
    with _translated(f"query stopped after {timeout:g} s (raise --timeout for long queries)", "the query"):
        if write:
            with driver.session(database=database, default_access_mode=neo4j.WRITE_ACCESS) as session:
                kind = explain(session, query, params, timeout)[0]
                return _collect(session.run(neo4j.Query(query, timeout=timeout), params or {}), limit, kind)
        with driver.session(database=database, default_access_mode=neo4j.READ_ACCESS) as session:
            functions = user_defined_functions(session, timeout)
            with session.begin_transaction(timeout=timeout) as tx:
                kind, operators = explain(tx, query, params)
                reason = plan_refusal(kind, operators, database, functions)
                if reason:
                    raise CypherRefused(reason)
                outcome = _collect(tx.run(query, params or {}), limit, kind)
                tx.rollback()
                return outcome


def _collect(result: neo4j.Result, limit: int, kind: str) -> QueryResult:
    """Up to ``limit`` rows as plain values; rows past it are not fetched (``truncated``)."""
    columns = list(result.keys())
    rows: list[dict[str, Any]] = []
    truncated = False
    for record in result:
        if len(rows) >= limit:
            truncated = True
            break
        rows.append({key: plain(record[key]) for key in columns})
    result.consume()
    return QueryResult(columns, rows, truncated, kind)


# --------------------------------------------------------------------------- paths


def paths_query(rules: WalkRules, max_hops: int) -> str:
    """The variable-length Cypher returning every relationship on a candidate path, generated from ``rules``.

    The relationship types, the walked direction of each, the node kinds a path may stand on and
    must cross, and the walked findings all come from the schema's ``walk:`` section (as the
    parameters of :func:`walk_parameters`); only the filters are the caller's.
    """
    types = "|".join(quote_name(t) for t in sorted(rules.walked_predicates))
    hops = int(max_hops)
    return (
        f"MATCH (s:{ENTITY} {{id: $source}}), (t:{ENTITY} {{id: $target}}) "
        f"MATCH p = (s) ((a)-[r:{types}]-(b) WHERE "
        "((type(r) IN $forward AND startNode(r) = a) OR (type(r) IN $parent_to_child AND endNode(r) = a)) "
        "AND a.kmoa_kind IN $node_kinds AND b.kmoa_kind IN $node_kinds "
        "AND coalesce(r.finding, 'positive') IN $walked_findings "
        "AND (NOT $human_only OR NOT coalesce(r.species, '') IN $human_only_drops) "
        "AND ($route IS NULL OR r.route IS NULL OR r.route = $route) "
        "AND ($evidence IS NULL OR r.evidence_type IN $evidence) "
        "AND ($relatives IS NULL OR startNode(r).kmoa_kind <> 'compound' OR startNode(r).id IN $relatives)"
        f"){{1,{hops}}} (t) "
        "WITH p, nodes(p) AS ns WHERE all(i IN range(0, size(ns) - 2) WHERE NOT ns[i] IN ns[i + 1..]) "
        "AND ($allow_direct OR any(n IN ns[1..] WHERE n.kmoa_kind IN $must_cross)) "
        "UNWIND relationships(p) AS rel "
        "WITH DISTINCT rel "
        "RETURN startNode(rel).id AS subject, endNode(rel).id AS object, type(rel) AS predicate, "
        "properties(rel) AS props, startNode(rel).kmoa_kind AS subject_kind, "
        "endNode(rel).kmoa_kind AS object_kind"
    )


def walk_parameters(rules: WalkRules, filters: PathFilters) -> dict[str, Any]:
    """The parameters of :func:`paths_query`: the schema's walk rules, then the caller's filters."""
    evidence = None
    if filters.min_evidence:
        floor = rules.evidence_strengths.get(filters.min_evidence, 0.0)
        evidence = sorted(name for name, strength in rules.evidence_strengths.items() if strength >= floor)
    return {
        "forward": sorted(rules.forward), "parent_to_child": sorted(rules.parent_to_child),
        "node_kinds": sorted(rules.node_kinds), "must_cross": sorted(rules.must_cross),
        "walked_findings": list(rules.walked_findings(filters.include_negative)),
        "allow_direct": filters.allow_direct, "human_only": filters.human_only,
        "human_only_drops": sorted(rules.human_only_drops), "route": filters.route,
        "evidence": evidence,
    }


def _resolve_id(driver: neo4j.Driver, database: str, text: str) -> str:
    records = driver.execute_query(
        f"MATCH (n:{ENTITY}) WHERE n.id = $q OR toLower(n.name) = toLower($q) "
        "OR any(s IN coalesce(n.synonym, []) WHERE toLower(s) = toLower($q)) "
        "RETURN n.id AS id ORDER BY n.kmoa_kind IN ['study', 'hypothesis'], (n.id = $q) DESC, id LIMIT 1",
        q=text, database_=database, routing_="r").records
    if not records:
        from kmoa.graph.model import UnknownEntityError

        raise UnknownEntityError(text, [])
    return str(records[0]["id"])


def _relatives_cypher(driver: neo4j.Driver, database: str, rules: WalkRules, compound: str) -> list[str]:
    types = "|".join(quote_name(t) for t in sorted(rules.parent_to_child))
    records = driver.execute_query(f"MATCH (m:{ENTITY})-[:{types}]->(:{ENTITY} {{id: $c}}) RETURN m.id AS id",
                                   c=compound, database_=database, routing_="r").records
    return sorted({compound, *(str(r["id"]) for r in records)})


def trace_paths_cypher(driver: neo4j.Driver, source: str, target: str, k: int = 10,
                       filters: PathFilters | None = None, max_hops: int = 8,
                       database: str = DEFAULT_DATABASE, timeout: float = 60.0) -> list[MechanismPath]:
    """Ranked mechanism paths: Cypher fetches the candidate edges, ``graph.search`` ranks them.

    The query is generated from the schema's walk rules; its rows go through the same search as
    the curated and merged graphs.
    """
    import neo4j

    from kmoa.graph.search import PathFilters, search_edge_list
    from kmoa.ontology.schema import load_schema

    schema = load_schema()
    rules = schema.walk
    filters = filters or PathFilters()
    source_id, target_id = _resolve_id(driver, database, source), _resolve_id(driver, database, target)
    relatives = _relatives_cypher(driver, database, rules, _resolve_id(driver, database, filters.compound)) \
        if filters.compound else None
    params = {"source": source_id, "target": target_id, "relatives": relatives, **walk_parameters(rules, filters)}
    with driver.session(database=database, default_access_mode=neo4j.READ_ACCESS) as session:
        records = list(session.run(neo4j.Query(paths_query(rules, max_hops), timeout=timeout), params))
    kinds: dict[str, str] = {}
    edges = []
    for rec in records:
        kinds[rec["subject"]], kinds[rec["object"]] = rec["subject_kind"], rec["object_kind"]
        edges.append(_edge_row(rec["subject"], rec["object"], dict(rec["props"])))
    return search_edge_list(schema, edges, kinds, source_id, target_id, k=k, max_hops=max_hops, filters=filters,
                            relatives=frozenset(relatives) if relatives is not None else None).paths


# -- imports -------------------------------------------------------------------------------------


def delete_retired(driver: neo4j.Driver, database: str, batch: int = 10_000) -> None:
    """Delete generations an earlier loader layout retired: relationships first, in small transactions."""
    with driver.session(database=database) as session:
        session.run(f"MATCH (:{RETIRED})-[r]-() CALL (r) {{ DELETE r }} IN TRANSACTIONS OF {batch} ROWS").consume()
        session.run(f"MATCH (n:{RETIRED}) CALL (n) {{ DELETE n }} IN TRANSACTIONS OF {batch} ROWS").consume()


# -- the store adapter ---------------------------------------------------------------------------

# Relationship properties the loader derives from a row (``edge_properties``), not row columns.
DERIVED_EDGE_PROPERTIES = ("biolink_predicate", "canmat_level", "asserted", "load_id")


def _node_row(props: dict[str, Any]) -> dict[str, Any]:
    """The row a node was loaded from (its flattened facts dropped, JSON columns parsed)."""
    from kmoa.graph.rows import NodeRow

    row = {k: v for k, v in props.items() if k in NodeRow.__annotations__}
    for column in NODE_JSON_COLUMNS:
        if isinstance(row.get(column), str):
            row[column] = json.loads(row[column])
    return row


def _edge_row(subject: str, obj: str, props: dict[str, Any]) -> dict[str, Any]:
    """The row a relationship was loaded from."""
    row = {k: v for k, v in props.items() if k not in DERIVED_EDGE_PROPERTIES}
    return {**row, "subject": subject, "object": obj, "predicate": props.get("biolink_predicate")}


class Neo4jStore(Store):
    """``neo4j:bolt://host:7687`` (any URI the driver takes): rows as nodes and relationships.

    A write is one transaction that replaces the graph (``load_rows``); queries are read-only Cypher
    (``run_cypher``). Credentials come from ``user`` / ``password`` or the NEO4J_* variables.
    """

    scheme = "neo4j"
    language = "cypher"

    def __init__(self, locator: str, user: str | None = None, password: str | None = None,
                 database: str | None = None, local: Callable[[], Any] | None = None,
                 load: Callable[[ConnectionSettings, list[Row], list[Row]], Any] | None = None,
                 timeout: float = DEFAULT_TIMEOUT, **options: Any) -> None:
        super().__init__(locator)
        self.settings = ConnectionSettings.resolve(locator or None, user, password, database, local=local)
        self.driver = connect(self.settings)
        self.load = load
        #: Seconds each of the store's own row reads may take (the server stops it after that).
        self.timeout = timeout
        #: What the last write's load returned (``LoadResult``, or what ``load`` returns).
        self.result: Any = None

    def writer(self) -> RowSink:
        """Rows in; one transaction (or the ``load`` the store was opened with) replaces the graph at ``finish``."""
        load = self.load
        return Neo4jRowSink(self.driver, database=self.settings.database, progress=False,
                            load=None if load is None else lambda nodes, edges: load(self.settings, nodes, edges))

    def write(self, nodes: Iterable[Row], edges: Iterable[Row]) -> None:
        """Replace the graph with these rows; ``result`` says how."""
        sink = write_rows(self.writer(), nodes, edges)
        assert isinstance(sink, Neo4jRowSink)
        self.result = sink.result

    def query(self, text: str, timeout: float = DEFAULT_TIMEOUT, limit: int = DEFAULT_LIMIT) -> QueryResult:
        """Read-only Cypher (the server decides what is read-only)."""
        return run_cypher(self.driver, text, database=self.settings.database, timeout=timeout, limit=limit)

    def _read(self, query: str, **params: Any) -> list[Any]:
        """Records of one of the store's own reads, stopped by the server after ``timeout`` seconds."""
        import neo4j

        with _translated(f"reading rows from {self.spec} stopped after {self.timeout:g} s", "a read"):
            return list(self.driver.execute_query(neo4j.Query(query, timeout=self.timeout), params,
                                                  database_=self.settings.database, routing_="r").records)

    def node_rows(self, column: str | None = None, value: str | None = None) -> list[dict[str, Any]]:
        """Node rows read back from the nodes' properties."""
        where = "WHERE n[$column] = $value" if column else ""
        records = self._read(f"MATCH (n:{ENTITY}) {where} RETURN properties(n) AS p ORDER BY n.id",
                             column=column, value=value)
        return [_node_row(dict(r["p"])) for r in records]

    def edge_rows(self, column: str | None = None, value: str | None = None) -> list[dict[str, Any]]:
        """Edge rows read back from the relationships' properties."""
        where = {None: "", "subject": "WHERE a.id = $value", "object": "WHERE b.id = $value",
                 "predicate": "WHERE r.biolink_predicate = $value"}.get(column, "WHERE r[$column] = $value")
        records = self._read(f"MATCH (a:{ENTITY})-[r]->(b:{ENTITY}) {where} "
                             "RETURN a.id AS s, b.id AS o, properties(r) AS p ORDER BY r.id",
                             column=column, value=value)
        return [_edge_row(r["s"], r["o"], dict(r["p"])) for r in records]

    def close(self) -> None:
        """Close the driver."""
        self.driver.close()
