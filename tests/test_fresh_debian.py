"""`scripts/run` and `scripts/test` work with a Python whose pip refuses to install (PEP 668, Debian 12).

A throwaway copy of the interpreter running the tests gets an `EXTERNALLY-MANAGED` marker in its
standard-library folder (unless the interpreter already has one, as Debian's does): `pip install`
there is refused, while `scripts/venv`, the set-up step of both scripts, creates a virtual
environment from it and installs into that. Offline: the install is pip itself, already present.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MARKER = "EXTERNALLY-MANAGED"


def externally_managed_python(folder: Path) -> Path:
    """An interpreter whose own pip refuses to install: the base interpreter if it already is one, else a copy."""
    base = Path(getattr(sys, "_base_executable", sys.executable)).resolve()
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    if (stdlib / MARKER).exists():
        return base
    (folder / "bin").mkdir(parents=True)
    python = folder / "bin" / "python3"
    shutil.copy2(base, python)  # a copy, not a link: its prefix is `folder`
    lib = folder / "lib" / stdlib.name
    lib.mkdir(parents=True)
    for entry in stdlib.iterdir():
        (lib / entry.name).symlink_to(entry)
    (lib / MARKER).write_text("[externally-managed]\nError=simulated Debian Python: use a virtual environment\n",
                              encoding="utf-8")
    return python


@pytest.fixture(scope="module")
def managed_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The externally managed interpreter, checked to really refuse `pip install`."""
    python = externally_managed_python(tmp_path_factory.mktemp("system") / "python")
    refused = subprocess.run([str(python), "-m", "pip", "install", "--no-index", "--disable-pip-version-check",
                              "pip"], capture_output=True, text=True, timeout=300)
    assert refused.returncode != 0
    assert "externally-managed-environment" in refused.stdout + refused.stderr or "No module named pip" in (
        refused.stderr), refused.stderr
    return python


def test_setup_creates_and_uses_a_virtual_environment(managed_python: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    env = {**os.environ, "KMOA_PYTHON": str(managed_python), "KMOA_VENV": str(venv)}
    env.pop("VIRTUAL_ENV", None)
    done = subprocess.run([str(REPO / "scripts" / "venv"), "--no-index", "pip"], capture_output=True, text=True,
                          env=env, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    config = (venv / "pyvenv.cfg").read_text(encoding="utf-8")
    assert f"home = {managed_python.parent}" in config
    inside = subprocess.run([str(venv / "bin" / "python"), "-c", "import sys; print(sys.prefix != sys.base_prefix)"],
                            capture_output=True, text=True, timeout=60)
    assert inside.stdout.strip() == "True"
    # A second run reuses the environment.
    again = subprocess.run([str(REPO / "scripts" / "venv")], capture_output=True, text=True, env=env, timeout=300)
    assert again.returncode == 0, again.stderr
    assert (venv / "pyvenv.cfg").read_text(encoding="utf-8") == config


def test_setup_never_replaces_a_folder_that_is_not_a_virtual_environment(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep\n", encoding="utf-8")
    done = subprocess.run([str(REPO / "scripts" / "venv")], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "KMOA_VENV": str(folder)})
    assert done.returncode == 1 and "not a virtual environment" in done.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize("script", ["run", "test"])
def test_the_scripts_install_only_into_the_virtual_environment(script: str) -> None:
    text = (REPO / "scripts" / script).read_text(encoding="utf-8")
    commands = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert any(re.search(r"scripts/venv -e ", line) for line in commands), text
    assert not any(re.search(r"python3? -m pip|\bpip3? install", line) for line in commands), text
    assert "chromium-driver" not in text


def test_the_virtual_environment_is_not_committed() -> None:
    ignored = (REPO / ".gitignore").read_text(encoding="utf-8").split()
    assert ".venv/" in ignored or "/.venv/" in ignored
