"""Run a real local Neo4j Community 5.26 LTS server from Python, without Docker.

Why: the kmoa graph is loaded into Neo4j, and tests/CI/dev machines here have
Java and Maven but no Docker. This module fetches the stock Neo4j Community
jars (``org.neo4j:neo4j``) from Maven Central with ``mvn`` and runs the stock
server entry point ``org.neo4j.server.CommunityEntryPoint`` -- the same class
the official tarball's ``bin/neo4j console`` runs -- with a generated
``neo4j.conf`` (Bolt only, bound to 127.0.0.1 on a random free port, auth on).
The initial password is set with the stock admin tool
(``neo4j-admin dbms set-initial-password``, class ``org.neo4j.cli.AdminTool``),
which reads it from a 0600 file (picocli's ``@file`` argument), so it never
appears on a command line.

What the server may touch: ``LOAD CSV`` cannot read local files
(``dbms.security.allow_csv_import_from_file_urls=false``, and the import
folder is an empty private ``home/import``); the cache folder, ``home/`` and
its ``data/`` are 0700 and everything the JVM and the admin tool create is
private (umask 077), so ``auth.ini`` and the stores are readable by the owner
only. ``kmoa neo4j status`` does not print the password; ``kmoa neo4j start``
prints it only inside the ``export`` line meant for ``eval``.

Usage::

    from kmoa import neo4j_server
    info = neo4j_server.start()          # downloads on first use, then reuses
    driver = neo4j.GraphDatabase.driver(info.uri, auth=(info.user, info.password))
    neo4j_server.stop()

or from a shell: ``eval "$(kmoa neo4j start)"`` / ``kmoa neo4j status`` /
``kmoa neo4j stop``.

Cache layout (default ``$KMOA_CACHE/neo4j``, else ``~/.cache/kmoa/neo4j``)::

    dist/<version>/lib/*.jar      jars from Maven Central (mvn runs once); another
                                  folder with ``KMOA_NEO4J_DOWNLOADS=DIR``
                                  (``DIR/<version>/...``), so that several caches
                                  (e.g. one per test session) share one download
    dist/<version>/classpath.txt  marks a complete download; reused later
    home/                         NEO4J_HOME: conf/neo4j.conf, data/, logs/
    credentials.json              generated password (0600), kept with data/
    home/import/                  the only folder LOAD CSV could name (empty, 0700)
    server.json                   state of the running server (0600): pid,
                                  port, password; removed by stop()
    server.log                    JVM stdout/stderr

Using an existing server, cluster or Aura instead: nothing here is needed;
set the standard variables and the loaders connect there::

    export NEO4J_URI=neo4j+s://xxxx.databases.neo4j.io   # Aura (TLS, routing)
    export NEO4J_URI=neo4j://host1:7687                  # cluster (routing)
    export NEO4J_URI=bolt://localhost:7687               # single server
    export NEO4J_USER=neo4j NEO4J_PASSWORD=... NEO4J_DATABASE=neo4j

(``bolt+s://``/``neo4j+s://`` verify TLS certificates; ``+ssc`` accepts
self-signed ones.) With Docker available, the equivalent server is
``docker run -p 7687:7687 -e NEO4J_AUTH=neo4j/secret neo4j:5``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

NEO4J_VERSION = "5.26.30"
"""Newest 5.26 LTS patch release on Maven Central when this was written."""

DEPENDENCY_PLUGIN_VERSION = "3.8.1"
ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_TOOL = "org.neo4j.cli.AdminTool"
USER = "neo4j"
DEFAULT_HEAP = "1g"
"""JVM heap (-Xms/-Xmx); override with KMOA_NEO4J_HEAP, e.g. 512m or 2g."""
PAGECACHE = "256m"
"""Page cache size; override with KMOA_NEO4J_PAGECACHE (e.g. 2g for million-edge benchmarks)."""
MVN_TIMEOUT = 1800.0
PORT_ATTEMPTS = 3
STOP_TIMEOUT = 60.0

INSTALL_HINT = (
    "Install a JDK 17+ and Maven, e.g. `apt-get install openjdk-17-jdk-headless maven`. "
    "Alternatively run Neo4j with Docker: "
    "`docker run -p 7687:7687 -e NEO4J_AUTH=neo4j/secret neo4j:5` and then "
    "`export NEO4J_URI=bolt://localhost:7687 NEO4J_USER=neo4j NEO4J_PASSWORD=secret`."
)

# Stock neo4j.conf JVM flags that matter on Java 17 (server.jvm.additional).
JVM_FLAGS = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+ExitOnOutOfMemoryError",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dlog4j2.disable.jmx=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
)

POM_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>kmoa.local</groupId>
  <artifactId>neo4j-community-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.neo4j</groupId>
      <artifactId>neo4j</artifactId>
      <version>{version}</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>{plugin_version}</version>
      </plugin>
    </plugins>
  </build>
</project>
"""


class Neo4jServerError(RuntimeError):
    """Any failure to fetch, start, find or stop the local Neo4j server."""


@dataclass(frozen=True)
class ServerInfo:
    """How to reach a running local server (and which process it is)."""

    uri: str
    user: str
    password: str = field(repr=False)
    pid: int
    port: int
    home: str

    def shell_exports(self, with_password: bool = True) -> str:
        """Return one `export` line for NEO4J_URI/USER (and PASSWORD), shell-quoted."""
        pairs = [("NEO4J_URI", self.uri), ("NEO4J_USER", self.user)]
        if with_password:
            pairs.append(("NEO4J_PASSWORD", self.password))
        return "export " + " ".join(f"{name}={shlex.quote(value)}" for name, value in pairs)


# --------------------------------------------------------------------------- paths


def default_cache_dir() -> Path:
    """`$KMOA_CACHE/neo4j` if KMOA_CACHE is set, else `~/.cache/kmoa/neo4j`."""
    root = os.environ.get("KMOA_CACHE")
    if root:
        return Path(root).expanduser() / "neo4j"
    return Path.home() / ".cache" / "kmoa" / "neo4j"


def _cache(cache_dir: Path | str | None) -> Path:
    return (Path(cache_dir).expanduser() if cache_dir else default_cache_dir()).resolve()


PRIVATE_UMASK = 0o077
"""Files the JVM and the admin tool create are readable by the owner only."""


def _make_private(cache: Path) -> None:
    """Create (or repair) the owner-only modes: folders 0700, the auth file 0600.

    Older caches were created with the default umask; the cache folder itself being 0700 is
    what keeps other local users out, the inner modes hold if it is ever loosened.
    """
    home = _home(cache)
    for folder in (cache, home, home / "data", home / "data" / "dbms", home / "logs", home / "import"):
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
    for secret in (home / "data" / "dbms" / "auth.ini", _credentials_file(cache), _state_file(cache)):
        if secret.exists():
            os.chmod(secret, 0o600)


def _downloads(cache: Path) -> Path:
    """Folder of the downloaded versions: ``$KMOA_NEO4J_DOWNLOADS``, else ``<cache>/dist``."""
    shared = os.environ.get("KMOA_NEO4J_DOWNLOADS")
    return Path(shared).expanduser().resolve() if shared else cache / "dist"


def _dist_dir(cache: Path) -> Path:
    return _downloads(cache) / NEO4J_VERSION


def _home(cache: Path) -> Path:
    return cache / "home"


def _state_file(cache: Path) -> Path:
    return cache / "server.json"


def _credentials_file(cache: Path) -> Path:
    return cache / "credentials.json"


def _swap_journal(cache: Path) -> Path:
    """Written before a database swap stops the server, removed once a server runs again."""
    return cache / "swap.json"


def credentials_file(cache_dir: Path | str | None = None) -> Path:
    """The owner-only file that holds the generated password of this cache's server."""
    return _credentials_file(_cache(cache_dir))


def _log_file(cache: Path) -> Path:
    return cache / "server.log"


# --------------------------------------------------------------------------- helpers


def _which(tool: str) -> str:
    """Locate java/mvn (JAVA_HOME first for java) or raise with install advice."""
    if tool == "java" and os.environ.get("JAVA_HOME"):
        candidate = Path(os.environ["JAVA_HOME"]) / "bin" / "java"
        if os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(tool)
    if not found:
        raise Neo4jServerError(f"`{tool}` was not found on PATH. {INSTALL_HINT}")
    return found


def _write_private(path: Path, data: dict[str, Any]) -> None:
    """Atomically write JSON readable only by the owner (it holds a password)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=2)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _logs_excerpt(cache: Path) -> str:
    return (
        f"--- last lines of {_log_file(cache)} ---\n{_tail(_log_file(cache))}\n"
        f"--- last lines of {_neo4j_log(cache)} ---\n{_tail(_neo4j_log(cache))}"
    )


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Serialise start/stop (or a download) across processes using the same folder."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pid_alive(pid: int) -> bool:
    """Tell whether pid runs (zombies count as dead; reaps it if it is our child)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True


def _is_our_server(pid: int, home: Path) -> bool:
    """Check pid is the Neo4j JVM for this home, so we never signal a stranger."""
    if not _pid_alive(pid):
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc: trust the state file
    args = [a.decode(errors="replace") for a in cmdline]
    return ENTRY_POINT in args and f"--home-dir={home}" in args


def _bolt_answers(uri: str, password: str, timeout: float = 5.0) -> bool:
    """Tell whether a Bolt handshake + auth succeeds (the neo4j driver's own check)."""
    import neo4j  # imported lazily: the module is importable without the driver

    try:
        with neo4j.GraphDatabase.driver(uri, auth=(USER, password), connection_timeout=timeout) as driver:
            driver.verify_connectivity()
        return True
    except neo4j.exceptions.AuthError:
        raise
    except Exception:  # noqa: BLE001 - any other failure means "not up (yet)"
        return False


def _info_from_state(state: dict[str, Any]) -> ServerInfo:
    return ServerInfo(
        uri=state["uri"],
        user=state["user"],
        password=state["password"],
        pid=int(state["pid"]),
        port=int(state["port"]),
        home=state["home"],
    )


# --------------------------------------------------------------------------- install


def _complete_download(dist: Path) -> list[str] | None:
    cp_file = dist / "classpath.txt"
    if cp_file.exists():
        jars = cp_file.read_text().split(os.pathsep)
        if jars and all(Path(j).exists() for j in jars):
            return jars
    return None


def ensure_installed(cache_dir: Path | str | None = None) -> list[str]:
    """Return the Neo4j classpath, fetching jars with Maven on first use only.

    Concurrent callers sharing a download folder wait for one download (a file lock).
    """
    dist = _dist_dir(_cache(cache_dir))
    jars = _complete_download(dist)
    if jars:
        return jars
    with _locked(dist.parent):
        return _complete_download(dist) or _download(dist)


def _download(dist: Path) -> list[str]:
    """Fetch the jars into dist with Maven (called under the download folder's lock)."""
    cp_file = dist / "classpath.txt"
    mvn = _which("mvn")
    dist.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{NEO4J_VERSION}.", dir=dist.parent))
    try:
        (work / "pom.xml").write_text(
            POM_TEMPLATE.format(version=NEO4J_VERSION, plugin_version=DEPENDENCY_PLUGIN_VERSION)
        )
        cmd = [
            mvn, "-B", "-q", "-f", str(work / "pom.xml"),
            f"org.apache.maven.plugins:maven-dependency-plugin:{DEPENDENCY_PLUGIN_VERSION}"
            ":copy-dependencies",
            f"-DoutputDirectory={work / 'lib'}", "-DincludeScope=runtime",
        ]  # fmt: skip
        try:
            proc = subprocess.run(
                cmd, cwd=work, capture_output=True, text=True, timeout=MVN_TIMEOUT,
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
        except subprocess.TimeoutExpired as err:
            raise Neo4jServerError(f"mvn timed out after {MVN_TIMEOUT:.0f}s: {' '.join(cmd)}") from err
        lib = work / "lib"
        if proc.returncode != 0 or not lib.is_dir():
            output = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
            raise Neo4jServerError(
                f"Fetching Neo4j {NEO4J_VERSION} from Maven Central failed "
                f"(exit {proc.returncode}): {' '.join(cmd)}\n{output}"
            )
        if os.path.exists(dist):
            shutil.rmtree(dist)
        os.replace(work, dist)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    jars = sorted(str(p) for p in (dist / "lib").glob("*.jar"))
    if not any(Path(j).name == f"neo4j-{NEO4J_VERSION}.jar" for j in jars):
        raise Neo4jServerError(f"Maven finished but neo4j-{NEO4J_VERSION}.jar is missing in {dist}")
    cp_file.write_text(os.pathsep.join(jars))
    return jars


# --------------------------------------------------------------------------- config


def _write_config(home: Path, port: int) -> None:
    """Write neo4j.conf: Bolt on 127.0.0.1:port, HTTP off, auth on, small memory."""
    conf = home / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "neo4j.conf").write_text(
        "# Generated by kmoa/neo4j_server.py; rewritten on every start.\n"
        "server.default_listen_address=127.0.0.1\n"
        "server.default_advertised_address=127.0.0.1\n"
        "server.bolt.enabled=true\n"
        f"server.bolt.listen_address=127.0.0.1:{port}\n"
        f"server.bolt.advertised_address=127.0.0.1:{port}\n"
        "server.http.enabled=false\n"
        "server.https.enabled=false\n"
        "dbms.security.auth_enabled=true\n"
        "# LOAD CSV may not read local files; its import folder is an empty private folder.\n"
        "dbms.security.allow_csv_import_from_file_urls=false\n"
        f"server.directories.import={home / 'import'}\n"
        "dbms.usage_report.enabled=false\n"
        f"server.memory.pagecache.size={os.environ.get('KMOA_NEO4J_PAGECACHE', PAGECACHE)}\n"
        "# Keep at most ~1 GB of transaction logs: '1 days' kept tens of GB after a few\n"
        "# million-edge loads (each load writes a new generation and deletes the old one).\n"
        "db.tx_log.rotation.retention_policy=1G size\n"
        "# Bolt otherwise idles 2x5s on shutdown, after the databases are closed.\n"
        "internal.server.bolt.thread_pool_shutdown_wait_time=1s\n"
        "internal.server.bolt.connection_shutdown_wait_time=1s\n"
    )


def _password_for(cache: Path, java: str, classpath: list[str]) -> str:
    """Return the data folder's password, generating and installing it if new."""
    home = _home(cache)
    creds = _read_json(_credentials_file(cache))
    if creds and creds.get("password"):
        return str(creds["password"])
    if (home / "data" / "databases" / "system").exists():
        raise Neo4jServerError(
            f"{home / 'data'} was initialised with a password that is no longer known "
            f"({_credentials_file(cache)} is missing). Delete {home / 'data'} to start afresh."
        )
    # Never a leading '-': picocli would read the expanded @file's token as an option (1 start in 64 failed).
    password = "k" + secrets.token_urlsafe(24)
    with contextlib.suppress(FileNotFoundError):
        (home / "data" / "dbms" / "auth.ini").unlink()
    env = dict(os.environ, NEO4J_HOME=str(home), NEO4J_CONF=str(home / "conf"))
    # picocli expands `@file` into the file's tokens: the password never reaches a command line.
    password_file = cache / ".initial-password"
    password_file.unlink(missing_ok=True)
    fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(password)
    try:
        proc = subprocess.run(
            [java, "-Xmx256m", "-cp", os.pathsep.join(classpath), ADMIN_TOOL,
             "dbms", "set-initial-password", f"@{password_file}"],
            env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
            umask=PRIVATE_UMASK,
        )  # fmt: skip
    finally:
        password_file.unlink(missing_ok=True)
    if proc.returncode != 0:
        raise Neo4jServerError(
            f"neo4j-admin dbms set-initial-password failed (exit {proc.returncode}):\n"
            + (proc.stdout + proc.stderr)[-3000:]
        )
    _write_private(_credentials_file(cache), {"user": USER, "password": password})
    return password


# --------------------------------------------------------------------------- public API


def status(cache_dir: Path | str | None = None) -> ServerInfo | None:
    """Return the info of this cache's server if it runs and answers Bolt, else None."""
    info = _recorded_server(_cache(cache_dir), forget_stale=False)
    if info is None:
        return None
    try:
        return info if _bolt_answers(info.uri, info.password) else None
    except Exception:  # noqa: BLE001 - auth failure: not a server we can use
        return None


def start(cache_dir: Path | str | None = None, timeout: float = 120) -> ServerInfo:
    """Start (or reuse) the local Neo4j server of this cache and wait for Bolt.

    The Bolt port is a free one chosen at start; if another process takes it before the JVM
    binds it, the start is retried on a new port (so concurrent caches never collide).
    """
    cache = _cache(cache_dir)
    java = _which("java")
    with _locked(cache):
        running = _reuse_running(cache, timeout)
        if running:
            _swap_journal(cache).unlink(missing_ok=True)  # a swap that got as far as a running server
            return running
        _undo_unfinished_swap(cache)
        classpath = ensure_installed(cache)
        _make_private(cache)
        for attempt in range(1, PORT_ATTEMPTS + 1):
            port = _free_port()
            _write_config(_home(cache), port)
            password = _password_for(cache, java, classpath)
            log_start = _size(_neo4j_log(cache))
            try:
                return _launch(cache, java, classpath, port, password, timeout)
            except Neo4jServerError:
                if attempt == PORT_ATTEMPTS or not _port_taken(_neo4j_log(cache), log_start):
                    raise
        raise AssertionError("unreachable")


def _launch(cache: Path, java: str, classpath: list[str], port: int, password: str,
            timeout: float) -> ServerInfo:
    """Spawn the JVM on port, record it, wait for Bolt (undo the record if it fails)."""
    home = _home(cache)
    heap = os.environ.get("KMOA_NEO4J_HEAP", DEFAULT_HEAP)
    cmd = [
        java, f"-Xms{heap}", f"-Xmx{heap}", *JVM_FLAGS,
        "-cp", os.pathsep.join(classpath), ENTRY_POINT,
        f"--home-dir={home}", f"--config-dir={home / 'conf'}",
    ]  # fmt: skip
    pid = _spawn_detached(cmd, _log_file(cache), home)
    uri = f"bolt://127.0.0.1:{port}"
    info = ServerInfo(uri=uri, user=USER, password=password, pid=pid, port=port, home=str(home))
    state = asdict(info) | {"version": NEO4J_VERSION, "started_at": time.time()}
    _write_private(_state_file(cache), state)
    try:
        _wait_for_bolt(cache, info, timeout)
    except BaseException:
        _terminate(pid, home)
        with contextlib.suppress(FileNotFoundError):
            _state_file(cache).unlink()
        raise
    return info


def _neo4j_log(cache: Path) -> Path:
    return _home(cache) / "logs" / "neo4j.log"


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _port_taken(neo4j_log: Path, offset: int) -> bool:
    """Tell whether the lines logged since offset say the Bolt port was already bound."""
    try:
        with open(neo4j_log, "rb") as fh:
            fh.seek(offset)
            text = fh.read().decode(errors="replace")
    except OSError:
        return False
    return "already in use" in text or "BindException" in text


def stop(cache_dir: Path | str | None = None) -> bool:
    """Stop this cache's server (pid from the state file). False if none ran."""
    cache = _cache(cache_dir)
    with _locked(cache):
        state = _read_json(_state_file(cache))
        stopped = False
        if state and "pid" in state and "home" in state:
            stopped = _terminate(int(state["pid"]), Path(state["home"]))
        with contextlib.suppress(FileNotFoundError):
            _state_file(cache).unlink()
        return stopped


def admin_command(cache_dir: Path | str | None = None, heap: str = "1g") -> list[str]:
    """The command that runs Neo4j's admin tool (``neo4j-admin``) with this cache's jars."""
    return [_which("java"), f"-Xmx{heap}", "-cp", os.pathsep.join(ensure_installed(cache_dir)), ADMIN_TOOL]


def data_folder(cache_dir: Path | str | None = None) -> Path:
    """The server's data folder (``databases/``, ``transactions/``, ``dbms/``)."""
    return _home(_cache(cache_dir)) / "data"


def swap_database(new_data: Path, keep: Path, cache_dir: Path | str | None = None,
                  timeout: float = 240) -> ServerInfo:
    """Serve the database under ``new_data`` instead of the running one, which is kept under ``keep``.

    Community edition serves one user database, ``neo4j``, and a database's files may change only
    while the server is stopped. So the server is stopped (a clean shutdown; open transactions are
    rolled back), ``data/databases/neo4j`` and ``data/transactions/neo4j`` are moved to ``keep``,
    those of ``new_data`` take their place, and the server starts again on the same port and
    password. If it does not come up, the previous database is put back and started, and
    Neo4jServerError says so. If this process is killed before a server runs again, the next
    ``start`` puts the previous database back (``_undo_unfinished_swap``).
    """
    cache = _cache(cache_dir)
    java = _which("java")
    data = data_folder(cache)
    with _locked(cache):
        info = _recorded_server(cache, forget_stale=True)
        if info is None:
            raise Neo4jServerError(f"no running Neo4j server in {cache}: start it with `kmoa neo4j start`")
        classpath = ensure_installed(cache)
        _write_private(_swap_journal(cache), {"keep": str(keep), "new": str(new_data)})
        _terminate(info.pid, Path(info.home))
        _state_file(cache).unlink(missing_ok=True)
        _move_database(data, keep)
        _move_database(new_data, data)
        _write_config(_home(cache), info.port)
        try:
            served = _launch(cache, java, classpath, info.port, info.password, timeout)
        except Neo4jServerError as err:
            _move_database(data, new_data)
            _move_database(keep, data)
            _launch(cache, java, classpath, info.port, info.password, timeout)
            _swap_journal(cache).unlink(missing_ok=True)
            raise Neo4jServerError(f"Neo4j did not start on the new database, so the previous one is back in "
                                   f"place and served: {err}") from None
        _swap_journal(cache).unlink(missing_ok=True)
        return served


def _swap_paths(cache: Path) -> tuple[Path, Path] | None:
    """Where an unfinished swap was keeping the previous database and took the new one from (its journal)."""
    journal = _read_json(_swap_journal(cache)) or {}
    keep, new = journal.get("keep"), journal.get("new")
    return (Path(keep), Path(new)) if isinstance(keep, str) and isinstance(new, str) else None


def unfinished_swap(cache_dir: Path | str | None = None) -> Path | None:
    """Where the previous database was being kept if a bulk load was killed while it swapped databases.

    The next ``start`` puts that database back (``_undo_unfinished_swap``); None when no swap was left unfinished.
    """
    paths = _swap_paths(_cache(cache_dir))
    return paths[0] if paths is not None and status(cache_dir) is None else None


def _undo_unfinished_swap(cache: Path, name: str = "neo4j") -> None:
    """Put the previous database back if a swap was killed before a server ran again (the server is down).

    The swap's journal names where the previous database was being kept and where the new one came
    from; the new one goes back there (a later bulk load removes it) and the previous one returns.
    """
    paths = _swap_paths(cache)
    if paths is None:
        _swap_journal(cache).unlink(missing_ok=True)  # none, or not one a swap wrote
        return
    data, (keep, new) = data_folder(cache), paths
    for part in ("databases", "transactions"):  # the swap moves the previous store, then its logs, out
        if not (keep / part / name).exists():
            continue  # not moved yet: what the data folder holds is still the previous database's
        if (data / part / name).exists():  # the new database's, already moved in
            (new / part).mkdir(mode=0o700, parents=True, exist_ok=True)
            os.replace(data / part / name, new / part / name)
        (data / part).mkdir(mode=0o700, parents=True, exist_ok=True)
        os.replace(keep / part / name, data / part / name)
    for folder in (keep / "databases", keep / "transactions", keep):  # only if empty: nothing else goes
        with contextlib.suppress(OSError):
            folder.rmdir()
    _swap_journal(cache).unlink()


def _move_database(source: Path, target: Path, name: str = "neo4j") -> None:
    """Move one database's store and transaction logs from one data folder to another (same file system)."""
    for folder in (target, target / "databases", target / "transactions"):
        folder.mkdir(mode=0o700, exist_ok=True)
    for part in ("databases", "transactions"):
        os.replace(source / part / name, target / part / name)


# --------------------------------------------------------------------------- process


def _recorded_server(cache: Path, forget_stale: bool) -> ServerInfo | None:
    """The server recorded in this cache's state file if its JVM still runs, else None.

    With ``forget_stale`` an unreadable record, or one whose JVM is gone, is deleted.
    """
    state = _read_json(_state_file(cache))
    if not state:
        return None
    try:
        info = _info_from_state(state)
    except (KeyError, TypeError, ValueError):
        info = None
    if info is None or not _is_our_server(info.pid, Path(info.home)):
        if forget_stale:
            _state_file(cache).unlink(missing_ok=True)
        return None
    return info


def _reuse_running(cache: Path, timeout: float) -> ServerInfo | None:
    """Info of an already running server of this cache (waiting if it is booting)."""
    info = _recorded_server(cache, forget_stale=True)
    if info is None:
        return None
    _wait_for_bolt(cache, info, timeout)
    return info


def _spawn_detached(cmd: list[str], log: Path, home: Path) -> int:
    """Start cmd in its own session, reparented away from us; return its pid.

    A short-lived `sh` backgrounds the JVM and prints its pid, so the JVM is
    not our child: it outlives this Python process and leaves no zombie here.
    """
    env = dict(os.environ, NEO4J_HOME=str(home), NEO4J_CONF=str(home / "conf"))
    launcher = 'log=$1; shift; "$@" >"$log" 2>&1 </dev/null & echo $!'
    proc = subprocess.run(
        ["/bin/sh", "-c", launcher, "sh", str(log), *cmd],
        env=env, cwd=home, capture_output=True, text=True, start_new_session=True,
        stdin=subprocess.DEVNULL, timeout=30, umask=PRIVATE_UMASK,
    )  # fmt: skip
    try:
        return int(proc.stdout.strip())
    except ValueError as err:
        raise Neo4jServerError(f"Could not launch the JVM: {proc.stderr.strip()}") from err


def _wait_for_bolt(cache: Path, info: ServerInfo, timeout: float) -> None:
    """Poll until Bolt answers; raise with the log tail on exit or timeout."""
    import neo4j

    deadline = time.monotonic() + timeout
    while True:
        if not _pid_alive(info.pid):
            raise Neo4jServerError(
                f"The Neo4j JVM (pid {info.pid}) exited during start-up.\n{_logs_excerpt(cache)}"
            )
        try:
            if _bolt_answers(info.uri, info.password, timeout=2.0):
                return
        except neo4j.exceptions.AuthError as err:
            raise Neo4jServerError(
                f"Neo4j at {info.uri} rejected the stored password: {err}\n{_logs_excerpt(cache)}"
            ) from err
        if time.monotonic() > deadline:
            raise Neo4jServerError(
                f"Neo4j did not answer on {info.uri} within {timeout:.0f}s.\n{_logs_excerpt(cache)}"
            )
        time.sleep(0.25)


def _terminate(pid: int, home: Path, timeout: float = STOP_TIMEOUT) -> bool:
    """SIGTERM (clean shutdown), then SIGKILL after timeout; True if it ran."""
    if not _is_our_server(pid, home):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return True
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    while _pid_alive(pid):
        time.sleep(0.1)
    return True
