"""The suite's own shape: no test depends on bench/ (bench may import tests/ tooling, never the
reverse), and only the suite hashes passwords at a small work factor, never the app."""

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


def test_the_app_hashes_at_its_own_work_factor_and_only_the_suite_at_a_small_one():
    from werkzeug.security import check_password_hash

    from app.accounts import operations
    from tests.conftest import APP_GENERATE_PASSWORD_HASH, TEST_PASSWORD_METHOD

    app_hash = APP_GENERATE_PASSWORD_HASH("rahasia123")
    n = int(app_hash.split("$", 1)[0].split(":")[1])
    assert app_hash.startswith("scrypt:") and n >= 2 ** 15, app_hash[:20]
    suite_hash = operations.generate_password_hash("rahasia123")
    assert suite_hash.startswith(TEST_PASSWORD_METHOD + "$")
    assert check_password_hash(app_hash, "rahasia123") and check_password_hash(suite_hash, "rahasia123")
