"""The local Neo4j server (kmoa.neo4j_server) against a real JVM, no mocks.

Set KMOA_SKIP_NEO4J=1 to skip; otherwise a server that fails to start fails.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

import neo4j
import pytest

from kmoa import neo4j_server
from kmoa.neo4j_server import Neo4jServerError, ServerInfo
from tests.conftest import opted_out

SKIP = opted_out("KMOA_SKIP_NEO4J")
requires_neo4j = pytest.mark.skipif(SKIP, reason="KMOA_SKIP_NEO4J=1")
pytestmark = pytest.mark.neo4j


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_return_1(neo4j_driver: neo4j.Driver) -> None:
    records, _, _ = neo4j_driver.execute_query("RETURN 1 AS x")
    assert records[0]["x"] == 1
    assert neo4j_driver.get_server_info().agent == f"Neo4j/{neo4j_server.NEO4J_VERSION}"


def test_wrong_password_is_auth_error(neo4j_server_info: ServerInfo) -> None:
    with neo4j.GraphDatabase.driver(neo4j_server_info.uri, auth=("neo4j", "wrong-password")) as driver:
        with pytest.raises(neo4j.exceptions.AuthError):
            driver.verify_connectivity()


def test_server_features_the_loaders_use(neo4j_driver: neo4j.Driver) -> None:
    """Constraints, await indexes, EXPLAIN, SHOW, batched and explicit transactions."""
    label = "KmoaServerSelfTest"
    with neo4j_driver.session() as session:
        try:
            session.run(
                f"CREATE CONSTRAINT kmoa_selftest_id IF NOT EXISTS FOR (n:{label}) REQUIRE n.id IS UNIQUE"
            ).consume()
            session.run("CALL db.awaitIndexes(60)").consume()
            names = [r["name"] for r in session.run("SHOW CONSTRAINTS YIELD name")]
            assert "kmoa_selftest_id" in names
            procs = {r["name"] for r in session.run("SHOW PROCEDURES YIELD name")}
            assert {"db.awaitIndexes", "db.labels"} <= procs
            plan = session.run(f"EXPLAIN MATCH (n:{label}) RETURN n").consume().plan
            assert plan is not None
            session.run(
                f"UNWIND range(1, 2500) AS i CALL (i) {{ CREATE (:{label} {{id: i}}) }} "
                "IN TRANSACTIONS OF 1000 ROWS"
            ).consume()
            count = session.run(f"MATCH (n:{label}) RETURN count(n) AS c").single()
            assert count is not None and count["c"] == 2500
            with pytest.raises(neo4j.exceptions.ConstraintError):
                session.run(f"CREATE (:{label} {{id: 1}})").consume()
            tx = session.begin_transaction()
            tx.run(f"CREATE (:{label} {{id: -1}})")
            tx.rollback()
            gone = session.run(f"MATCH (n:{label} {{id: -1}}) RETURN count(n) AS c").single()
            assert gone is not None and gone["c"] == 0
        finally:
            session.run(f"MATCH (n:{label}) CALL (n) {{ DETACH DELETE n }} IN TRANSACTIONS").consume()
            session.run("DROP CONSTRAINT kmoa_selftest_id IF EXISTS").consume()


def test_state_file_is_private_and_names_the_jvm(neo4j_server_info: ServerInfo) -> None:
    state_file = neo4j_server.default_cache_dir() / "server.json"
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    running = neo4j_server.status()
    # The session's server, though a bulk reload earlier in the session may have restarted its process.
    assert running is not None and running == replace(neo4j_server_info, pid=running.pid)
    assert neo4j_server.start() == running  # reused, not a second JVM


def test_shell_exports_round_trip_through_bash(neo4j_server_info: ServerInfo) -> None:
    info = ServerInfo("bolt://127.0.0.1:1", "neo4j", "it's $odd `pw`", 1, 1, "/tmp")
    for candidate in (info, neo4j_server_info):
        out = subprocess.run(
            ["bash", "-c", candidate.shell_exports() + '; printf "%s\\n%s\\n%s" "$NEO4J_URI" '
             '"$NEO4J_USER" "$NEO4J_PASSWORD"'],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert out.split("\n") == [candidate.uri, candidate.user, candidate.password]


def _private_cache(tmp_path: Path) -> Path:
    """A cache folder of its own (own data, port, password) sharing the downloaded jars."""
    neo4j_server.ensure_installed()  # KMOA_NEO4J_DOWNLOADS (conftest): no second download
    cache = tmp_path / "neo4j"
    cache.mkdir()
    return cache


def test_session_server_is_its_own(neo4j_server_info: ServerInfo, isolated_neo4j_cache: Path) -> None:
    """The suite's server lives in the session's temporary cache; connections default to it."""
    from kmoa.loaders.stores.neo4j import ConnectionSettings

    assert Path(neo4j_server_info.home).is_relative_to(isolated_neo4j_cache)
    assert isolated_neo4j_cache.is_relative_to(Path(tempfile.gettempdir()).resolve())
    assert not any(os.environ.get(name) for name in ("NEO4J_URI", "NEO4J_PASSWORD"))
    settings = ConnectionSettings.resolve(local=neo4j_server.status)
    assert (settings.uri, settings.password) == (neo4j_server_info.uri, neo4j_server_info.password)
    downloads = Path(os.environ["KMOA_NEO4J_DOWNLOADS"])
    assert not downloads.is_relative_to(isolated_neo4j_cache)
    assert not list(isolated_neo4j_cache.glob("dist"))  # jars come from the shared download


@requires_neo4j
def test_start_reuse_stop_in_own_cache(tmp_path: Path, neo4j_server_info: ServerInfo,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A second, private server: start, reuse, stop ends the JVM and closes the port.

    The first port it picks is taken by someone else before the JVM binds it (as when two test
    runs start at once): the start moves to another port.
    """
    cache = _private_cache(tmp_path)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        ports = iter([taken])
        free_port = neo4j_server._free_port
        monkeypatch.setattr(neo4j_server, "_free_port", lambda: next(ports, None) or free_port())
        commands: list[list[str]] = []
        run = subprocess.run

        def recording_run(args: list[str], **kwargs: object) -> object:
            commands.append([str(a) for a in args])
            return run(args, **kwargs)  # type: ignore[call-overload]

        monkeypatch.setattr(neo4j_server.subprocess, "run", recording_run)
        info = neo4j_server.start(cache, timeout=180)
    try:
        assert info.port != taken
        admin = [c for c in commands if "set-initial-password" in c]
        assert admin, "the admin tool set the password"
        assert not any(info.password in arg for command in commands for arg in command)
        assert not list(cache.glob(".initial-password*"))  # the 0600 password file is gone
        assert info.uri == f"bolt://127.0.0.1:{info.port}"
        with neo4j.GraphDatabase.driver(info.uri, auth=(info.user, info.password)) as driver:
            records, _, _ = driver.execute_query("RETURN 1 AS x")
            assert records[0]["x"] == 1
        assert neo4j_server.start(cache).pid == info.pid
        assert neo4j_server.status(cache) == info
    finally:
        assert neo4j_server.stop(cache) is True
    assert neo4j_server.status() is not None  # the session's server is untouched
    assert not Path(f"/proc/{info.pid}").exists() or not _pid_running(info.pid)
    assert not _port_open(info.port)
    assert not (cache / "server.json").exists()
    assert neo4j_server.status(cache) is None
    assert neo4j_server.stop(cache) is False


@requires_neo4j
def test_jvm_that_dies_at_start_gives_its_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = _private_cache(tmp_path)
    monkeypatch.setenv("KMOA_NEO4J_HEAP", "not-a-size")
    with pytest.raises(Neo4jServerError, match="exited during start-up") as err:
        neo4j_server.start(cache, timeout=60)
    assert "Invalid initial heap size" in str(err.value)
    assert not (cache / "server.json").exists()


def _pid_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def test_missing_maven_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    java = shutil.which("java")
    if java is None:
        with pytest.raises(Neo4jServerError, match="openjdk-17-jdk-headless"):
            neo4j_server.start(tmp_path)
        return
    monkeypatch.setenv("JAVA_HOME", str(Path(java).resolve().parent.parent))
    monkeypatch.delenv("KMOA_NEO4J_DOWNLOADS")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(Neo4jServerError) as err:
        neo4j_server.start(tmp_path / "neo4j")
    message = str(err.value)
    assert "`mvn` was not found" in message
    assert "apt-get install openjdk-17-jdk-headless maven" in message
    assert "docker run -p 7687:7687 -e NEO4J_AUTH=neo4j/secret neo4j:5" in message


def _loose_modes(folder: Path) -> list[str]:
    """Paths under folder that a group or other user could read, write or enter."""
    found = []
    for path in [folder, *folder.rglob("*")]:
        if path.is_symlink():
            continue
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            found.append(f"{path} {oct(stat.S_IMODE(path.stat().st_mode))}")
    return found


def test_data_and_auth_file_are_owner_only(neo4j_server_info: ServerInfo, isolated_neo4j_cache: Path) -> None:
    home = Path(neo4j_server_info.home)
    auth = home / "data" / "dbms" / "auth.ini"
    assert stat.S_IMODE(auth.stat().st_mode) == 0o600
    for folder in (isolated_neo4j_cache, home, home / "data"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert _loose_modes(home / "data") == []
    assert stat.S_IMODE(neo4j_server.credentials_file().stat().st_mode) == 0o600


def test_old_cache_modes_are_repaired(tmp_path: Path) -> None:
    """A cache made with a loose umask (as before) is made owner-only on the next start."""
    cache = tmp_path / "neo4j"
    auth = cache / "home" / "data" / "dbms" / "auth.ini"
    auth.parent.mkdir(parents=True, mode=0o755)
    auth.write_text("neo4j:...")
    auth.chmod(0o644)
    for folder in (cache, cache / "home", cache / "home" / "data"):
        folder.chmod(0o755)
    neo4j_server._make_private(cache)
    assert stat.S_IMODE(auth.stat().st_mode) == 0o600
    assert _loose_modes(cache / "home") == []


def test_status_does_not_print_the_password(neo4j_server_info: ServerInfo) -> None:
    from click.testing import CliRunner

    from kmoa.cli import main

    result = CliRunner().invoke(main, ["neo4j", "status"])
    assert result.exit_code == 0, result.output
    shown = result.output + result.stderr
    assert neo4j_server_info.uri in shown
    assert neo4j_server_info.password not in shown
    assert "NEO4J_PASSWORD" not in result.stdout
    assert str(neo4j_server.credentials_file()) in shown
    assert neo4j_server_info.password not in repr(neo4j_server_info)


def test_load_csv_cannot_read_local_files(neo4j_driver: neo4j.Driver, neo4j_server_info: ServerInfo,
                                         tmp_path: Path) -> None:
    """Even a query that reaches the server unchecked cannot read a file with LOAD CSV."""
    secret = tmp_path / "secret.csv"
    secret.write_text("only-the-owner-may-read-this\n")
    with pytest.raises(neo4j.exceptions.ClientError) as err:
        neo4j_driver.execute_query(f"LOAD CSV FROM 'file://{secret}' AS r RETURN r")
    assert "only-the-owner" not in str(err.value)
    records, _, _ = neo4j_driver.execute_query(
        "SHOW SETTINGS YIELD name, value WHERE name IN ['dbms.security.allow_csv_import_from_file_urls', "
        "'server.directories.import'] RETURN name, value")
    settings = {r["name"]: r["value"] for r in records}
    assert settings["dbms.security.allow_csv_import_from_file_urls"] == "false"
    assert settings["server.directories.import"] == str(Path(neo4j_server_info.home) / "import")
