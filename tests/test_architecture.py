"""The layers import only downwards: ontology -> graph -> loaders -> explorer -> kmoa (the pipeline and the CLI).

Every module is parsed with ``ast`` (imports inside functions and ``TYPE_CHECKING`` blocks count too),
so a lazy import cannot hide an upward or sideways dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The library folders, installed as subpackages of kmoa (kmoa/graph is a link to graph/, and so on).
LIBRARY = ("ontology", "graph", "loaders", "explorer")
# The application on top: ``kmoa.build`` (validate, then write every export), ``kmoa.cli``, the local Neo4j
# process manager ``kmoa.neo4j_server`` (tooling for development and tests, not library code), and the rest
# of the kmoa folder that is not a library link.
APP = tuple(f"kmoa.{p.stem}" for p in sorted((ROOT / "kmoa").iterdir())
            if not p.is_symlink() and (p.suffix == ".py" or (p / "__init__.py").is_file()) and p.stem != "__init__")

# Which packages each layer must not import (the package itself or any submodule of it).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "ontology": ("kmoa.graph", "kmoa.loaders", "kmoa.explorer", *APP),
    "graph": ("kmoa.loaders", "kmoa.explorer", *APP),
    "loaders": ("kmoa.explorer", *APP),
    "explorer": APP,
    # Inside loaders/ the same rule, one level down: base (the shared interface) -> formats -> stores
    # -> registry and servers.
    "loaders/base.py": ("kmoa.loaders.formats", "kmoa.loaders.stores", "kmoa.loaders.servers",
                        "kmoa.loaders.registry"),
    "loaders/formats": ("kmoa.loaders.stores", "kmoa.loaders.servers", "kmoa.loaders.registry"),
    "loaders/stores": ("kmoa.loaders.servers", "kmoa.loaders.registry"),
}
# Sideways within a layer: a store takes nothing from another store (the query engine aside, which
# the Oxigraph store, the in-memory graph and the SPARQL endpoint share), and one endpoint nothing from
# another (what they share is in loaders/servers/http_service.py).
FORBIDDEN_MODULES: dict[str, tuple[str, ...]] = {
    "loaders/stores/oxigraph_store.py": ("kmoa.loaders.stores.sparql_remote", "kmoa.loaders.stores.neo4j"),
    "loaders/stores/neo4j.py": ("kmoa.loaders.stores.sparql_remote", "kmoa.loaders.stores.oxigraph_store",
                                "kmoa.loaders.stores.sparql_engine"),
    "loaders/stores/sparql_remote.py": ("kmoa.loaders.stores.oxigraph_store", "kmoa.loaders.stores.neo4j"),
    "loaders/servers/sparql_server.py": ("kmoa.loaders.stores.sparql_remote", "kmoa.loaders.servers.trapi_server",
                                         "kmoa.loaders.servers.trapi"),
    "loaders/servers/trapi_server.py": ("kmoa.loaders.stores.sparql_remote", "kmoa.loaders.servers.sparql_server"),
}

# Known exceptions, each to be removed with the move that fixes it (a stale entry fails the test too).
KNOWN_EXCEPTIONS: set[tuple[str, str]] = set()


def _module_name(path: Path, root: Path) -> str:
    """The import name of a file: graph/model.py is kmoa.graph.model (the folders are kmoa's subpackages)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    if parts and parts[0] in LIBRARY:
        parts.insert(0, "kmoa")
    return ".".join(parts)


def _imported_modules(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """Every module a file imports, with the line of the import (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            # ``from kmoa import cli`` imports kmoa.cli: count the names as submodules too.
            out.append((node.lineno, module))
            out.extend((node.lineno, f"{module}.{alias.name}") for alias in node.names)
    return out


def _is_within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _violations(path: Path, forbidden: tuple[str, ...]) -> dict[str, str]:
    """``file:line`` -> the first forbidden module imported there."""
    found: dict[str, str] = {}
    for line, module in _imported_modules(path):
        where = f"{path.relative_to(ROOT)}:{line}"
        if where not in found and any(_is_within(module, package) for package in forbidden):
            found[where] = module
    return found


def _layer_files(layer: str) -> list[Path]:
    path = ROOT / layer
    return [path] if path.suffix == ".py" else sorted(path.rglob("*.py"))


def _all_violations() -> dict[str, str]:
    found: dict[str, str] = {}
    for layer, forbidden in FORBIDDEN.items():
        for path in _layer_files(layer):
            found.update(_violations(path, forbidden))
    for name, forbidden in FORBIDDEN_MODULES.items():
        found.update(_violations(ROOT / name, forbidden))
    return found


def _is_known(where: str, module: str) -> bool:
    file = where.rsplit(":", 1)[0]
    return any(file == known_file and _is_within(module, known) for known_file, known in KNOWN_EXCEPTIONS)


def import_violations() -> list[str]:
    """``file:line: imports module`` for every import that goes up or sideways (known exceptions aside)."""
    return [f"{where}: imports {module}" for where, module in sorted(_all_violations().items())
            if not _is_known(where, module)]


def test_every_layer_is_scanned() -> None:
    for layer in FORBIDDEN:
        assert _layer_files(layer) and all(p.is_file() for p in _layer_files(layer)), \
            f"no Python modules found under {layer}"
    for name in FORBIDDEN_MODULES:
        assert (ROOT / name).is_file(), f"{name} is gone: update FORBIDDEN_MODULES"


def test_no_upward_or_sideways_imports() -> None:
    violations = import_violations()
    assert not violations, "imports against the layering:\n" + "\n".join(violations)


def test_known_exceptions_still_occur() -> None:
    """An exception that no longer occurs is removed from the list, so the list only shrinks."""
    found = {(where.rsplit(":", 1)[0], module) for where, module in _all_violations().items()}
    stale = [f"{file} -> {module}" for file, module in sorted(KNOWN_EXCEPTIONS)
             if not any(f == file and _is_within(m, module) for f, m in found)]
    assert not stale, "fixed, remove from KNOWN_EXCEPTIONS: " + ", ".join(stale)


def test_the_check_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    """The scanner finds an import hidden inside a function and a relative one."""
    layer = tmp_path / "graph"
    layer.mkdir()
    (layer / "__init__.py").write_text("")
    module = layer / "sample.py"
    module.write_text("def f():\n    from kmoa.loaders.formats.rdf import to_rdf\n    return to_rdf\n"
                      "from . import model\n")
    found = _imported_modules(module, tmp_path)
    assert (2, "kmoa.loaders.formats.rdf") in found
    assert (4, "kmoa.graph.model") in found


def _python_files() -> list[Path]:
    """Every Python file of the repository (the links under kmoa/ and installed or fetched folders aside)."""
    skip = {".venv", ".git", "node_modules", "build", ".mypy_cache", ".ruff_cache"}
    out = []
    for path in ROOT.glob("*"):
        if path.name in skip or path.is_symlink():
            continue
        if path.suffix == ".py":
            out.append(path)
        elif path.is_dir():
            out += [p for p in path.rglob("*.py") if not (set(p.relative_to(ROOT).parts) & skip)
                    and not any(parent.is_symlink() for parent in p.relative_to(ROOT).parents if parent != Path("."))]
    return sorted(out)


def test_nothing_imports_the_library_folders_by_their_bare_names() -> None:
    """``import graph`` would load a second copy of kmoa.graph (and clash with any other package named graph)."""
    files = _python_files()
    assert ROOT / "graph" / "model.py" in files and ROOT / "tests" / "test_architecture.py" in files
    bare = [f"{path.relative_to(ROOT)}:{line}: imports {module}" for path in files
            for line, module in _imported_modules(path) if module.split(".")[0] in LIBRARY]
    assert not bare, "import these as kmoa.<name>:\n" + "\n".join(bare)


def test_the_built_package_installs_only_the_kmoa_import_name(tmp_path: Path) -> None:
    """A wheel of the project claims one top-level name, kmoa, and works from it with its data files."""
    import shutil
    import subprocess
    import sys
    import zipfile

    source = tmp_path / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(
        ".venv", ".git", "node_modules", "build", "*.egg-info", "__pycache__", ".mypy_cache", ".ruff_cache"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", str(source), "-w", str(tmp_path / "dist")],
                   check=True, capture_output=True, text=True)
    (wheel,) = (tmp_path / "dist").glob("kmoa-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"kmoa", wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1]
                                                + ".dist-info"}
    assert "kmoa/graph/data/review.txt" in names and "kmoa/explorer/assets/canvas.js" in names
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--disable-pip-version-check",
                    "--target", str(site), str(wheel)], check=True, capture_output=True, text=True)
    # From the installed copy, outside the repository: the graph loads and a SPARQL query runs in its
    # worker processes (which must find kmoa in the installed folder too).
    script = ("import importlib.util, kmoa\n"
              "from kmoa.graph.model import load_graph\n"
              "from kmoa.loaders.stores.sparql_engine import run_query\n"
              "from kmoa.loaders.formats.rdf import to_rdf\n"
              "kg = load_graph()\n"
              "rows = run_query(to_rdf(kg), 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }').rows\n"
              "print(kmoa.__file__, len(kg.nodes), int(rows[0]['n']) > 0,\n"
              "      [importlib.util.find_spec(n) is None for n in ('graph', 'ontology', 'loaders', 'explorer')])\n")
    env = {k: v for k, v in __import__("os").environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r})\n" + script],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    where, nodes, answered, missing = done.stdout.split(" ", 3)
    assert where.startswith(str(site)) and int(nodes) > 100 and answered == "True"
    assert missing.strip() == "[True, True, True, True]"
