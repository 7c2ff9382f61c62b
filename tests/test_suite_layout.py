"""The suite's own shape: no test depends on bench/ (bench may import tests/ tooling, never the
reverse), and the tests that need minutes carry the `slow` mark `make test-fast` leaves out."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_no_module_under_tests_imports_bench():
    offenders = {path.name: sorted(m for m in _imported_modules(path) if m == "bench" or m.startswith("bench."))
                 for path in sorted(TESTS.glob("*.py"))}
    assert {name: mods for name, mods in offenders.items() if mods} == {}
