"""The layers import only downwards: ontology -> graph -> loaders -> explorer -> kmoa (the pipeline and the CLI).

Every module is parsed with ``ast`` (imports inside functions and ``TYPE_CHECKING`` blocks count too),
so a lazy import cannot hide an upward or sideways dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Which packages each layer must not import (the package itself or any submodule of it). ``kmoa`` is
# the application on top: ``kmoa.build`` (validate, then write every export), ``kmoa.cli`` and the local
# Neo4j process manager ``kmoa.neo4j_server`` (tooling for development and tests, not library code).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "ontology": ("graph", "loaders", "explorer", "kmoa"),
    "graph": ("loaders", "explorer", "kmoa"),
    "loaders": ("explorer", "kmoa"),
    "explorer": ("kmoa",),
    # Inside loaders/ the same rule, one level down: base (the shared interface) -> formats -> stores
    # -> registry and servers.
    "loaders/base.py": ("loaders.formats", "loaders.stores", "loaders.servers", "loaders.registry"),
    "loaders/formats": ("loaders.stores", "loaders.servers", "loaders.registry"),
    "loaders/stores": ("loaders.servers", "loaders.registry"),
}
# Sideways within a layer: a store takes nothing from another store (the query engine aside, which
# the Oxigraph store, the in-memory graph and the SPARQL endpoint share), and one endpoint nothing from
# another (what they share is in loaders/servers/http_service.py).
FORBIDDEN_MODULES: dict[str, tuple[str, ...]] = {
    "loaders/stores/oxigraph_store.py": ("loaders.stores.sparql_remote", "loaders.stores.neo4j"),
    "loaders/stores/neo4j.py": ("loaders.stores.sparql_remote", "loaders.stores.oxigraph_store",
                                "loaders.stores.sparql_engine"),
    "loaders/stores/sparql_remote.py": ("loaders.stores.oxigraph_store", "loaders.stores.neo4j"),
    "loaders/servers/sparql_server.py": ("loaders.stores.sparql_remote", "loaders.servers.trapi_server",
                                         "loaders.servers.trapi"),
    "loaders/servers/trapi_server.py": ("loaders.stores.sparql_remote", "loaders.servers.sparql_server"),
}

# Known exceptions, each to be removed with the move that fixes it (a stale entry fails the test too).
KNOWN_EXCEPTIONS: set[tuple[str, str]] = set()


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
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
    module.write_text("def f():\n    from loaders.formats.rdf import to_rdf\n    return to_rdf\n"
                      "from . import model\n")
    found = _imported_modules(module, tmp_path)
    assert (2, "loaders.formats.rdf") in found
    assert (4, "graph.model") in found
