"""Helpers the endpoint tests share: a free port, a private copy of the data, a server process started and stopped."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

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
