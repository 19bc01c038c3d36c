"""Helpers the endpoint tests share: a free port, a private copy of the data, a server process started and
stopped, HTTP requests that return error answers instead of raising, and a running `kmoa serve sparql`.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kmoa.graph.model import KnowledgeGraph

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def snapshot(folder: Path) -> Path:
    """A private copy of the curated data, so curators' edits during the run cannot skew expectations."""
    from kmoa.graph.curation import default_data_dir

    out = folder / "data"
    shutil.copytree(default_data_dir(), out)
    return out


def start_kmoa(args: list[str], log: Path, ready_url: str, timeout: float = 120) -> subprocess.Popen[bytes]:
    """Run ``kmoa ARGS`` (this checkout's code) with its output in ``log``; return once ``ready_url`` answers."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with log.open("wb") as handle:
        process = subprocess.Popen([sys.executable, "-m", "kmoa", *args], stdout=handle, stderr=subprocess.STDOUT,
                                   cwd=ROOT, env=env)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"kmoa {args[0]} {args[1]} exited: {log.read_text()}")
        try:
            with urllib.request.urlopen(ready_url, timeout=2):
                return process
        except OSError:
            if time.monotonic() > deadline:
                stop(process)
                raise RuntimeError(f"kmoa {args[0]} {args[1]} did not answer: {log.read_text()}") from None
            time.sleep(0.2)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a server process, killing it if it does not end within ten seconds."""
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def start_oxigraph(folder: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """Start the Oxigraph server (``oxigraph serve``, from the oxigraph package) on a free port.

    Returns its base URL (``/query`` answers SPARQL, ``/store`` the Graph Store Protocol) and its process.
    """
    binary = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    if not Path(binary).exists():
        raise RuntimeError("the oxigraph server (pip install oxigraph) is not installed")
    port = free_port()
    log = folder / "server.log"
    with log.open("wb") as handle:
        process = subprocess.Popen([binary, "serve", "--location", str(folder / "db"), "--bind", f"127.0.0.1:{port}",
                                    "--timeout-s", "5"], stdout=handle, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/", timeout=2):
                return base, process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop(process)
                raise RuntimeError(f"oxigraph serve did not start: {log.read_text()}") from None
            time.sleep(0.2)


# -- HTTP --------------------------------------------------------------------------------------------


def http_request(url: str, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None,
                 timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of a request (an error status is returned, not raised)."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def raw_request(base_url: str, method: str, path: str, headers: dict[str, str], body: bytes | None = None,
                timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    """Send a request with exactly these headers (http.client adds only Host and, for a body, its length).

    Lets a test send what urllib would refuse or fix: a wrong Content-Length, any method. Response
    headers come back with lower-case names.
    """
    host, port = urllib.parse.urlsplit(base_url).netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


# -- `kmoa serve sparql` -------------------------------------------------------------------------------

#: The stores the SPARQL endpoint tests run against: the curated graph in memory, an on-disk Oxigraph store.
SPARQL_STORES = ["memory", "oxigraph"]


@dataclass
class Endpoint:
    """A running `kmoa serve sparql`: its base URL, store, process and the graph it serves."""

    url: str
    store: str
    process: subprocess.Popen[bytes]
    kg: KnowledgeGraph

    @property
    def sparql(self) -> str:
        """The SPARQL endpoint's URL."""
        return self.url + "/sparql"


def start_endpoint(store: str, log: Path, data: Path, timeout: float = 2.0, limit: int = 50,
                   extra: tuple[str, ...] = ()) -> Endpoint:
    """Start `kmoa serve sparql` on a free port (``extra``: more options) and wait until it answers."""
    from kmoa.graph.model import load_graph

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_kmoa(["serve", "sparql", "--port", str(port), "--store", store, "--timeout", str(timeout),
                          "--limit", str(limit), "--quiet", "--data", str(data),
                          *(["--create"] if store.startswith("oxigraph:") else []), *extra], log, url + "/")
    return Endpoint(url, store, process, load_graph(data))


def stop_endpoint(endpoint: Endpoint) -> None:
    """Stop the endpoint's process."""
    stop(endpoint.process)


@contextmanager
def sparql_endpoint(kind: str, folder: Path, timeout: float = 2.0, limit: int = 50) -> Iterator[Endpoint]:
    """`kmoa serve sparql` over a private copy of the data in ``folder``: ``memory`` or a new ``oxigraph`` store."""
    store = "memory" if kind == "memory" else f"oxigraph:{folder / 'store'}"
    running = start_endpoint(store, folder / "server.log", snapshot(folder), timeout=timeout, limit=limit)
    try:
        yield running
    finally:
        stop_endpoint(running)
