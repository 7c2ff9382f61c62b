"""The house's dependency rules (DESIGN.md), read off the source: domains never import the API
layer; the API calls the domains, not the other way round."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"


def imported_modules(path: Path) -> list[str]:
    """Every module a file imports, with `from x import y` also giving `x.y` (y may be a module)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [n.name for n in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names += [node.module] + [f"{node.module}.{n.name}" for n in node.names]
    return names


def test_no_module_outside_the_api_imports_it():
    # The application factory registers the API's blueprint; nothing else may lean on the API.
    files = [p for p in APP.rglob("*.py") if "api" not in p.relative_to(APP).parts[:1] and p != APP / "__init__.py"]
    bad = [f"{p.relative_to(APP)}: {name}" for p in files for name in imported_modules(p)
           if name == "app.api" or name.startswith("app.api.")]
    assert len(files) > 50 and not bad, bad


def test_the_scan_sees_an_import_inside_a_function(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from app.api.core import paginate\n")
    assert "app.api.core.paginate" in imported_modules(probe)


def test_docs_api_md_is_the_served_openapi_document(app, client):
    """docs/api.md is written from the routes; a route added without regenerating it fails here."""
    from app.api.docs import DOCS, api_markdown

    assert (DOCS / "api.md").read_text() == api_markdown(), "run: flask --app wsgi docs api"
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and b"swagger-ui-bundle.js" in page.data
    assert client.get("/vendor/swagger-ui-bundle.js").status_code == 200
    css = client.get("/vendor/swagger-ui.css")
    assert css.status_code == 200 and css.mimetype == "text/css"


def test_docs_links_resolve():
    import re

    root = APP.parent
    for md in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#]+)\)", md.read_text()):
            if target.startswith(("http://", "https://")):
                continue
            assert (md.parent / target).exists(), f"{md.name} links to missing {target}"
