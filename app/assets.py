"""Low bandwidth: compressed responses and static files named by their content, cached for good.

A learner on a weak phone signal pays for every byte. Three things keep that bill small:

- **Compression** (Flask-Compress: brotli, else gzip) of every text response: pages, JSON, CSS, JS.
- **Hashed static URLs**: `url_for('static', filename='lentera.css')` gives
  `/s/<content hash>/lentera.css`, served with `Cache-Control: immutable` for a year, so a repeat
  visit asks for nothing; a changed file gets a new address. The same for the npm libraries under
  `/v/<hash>/<name>`. Old-style `/static/…` and `/vendor/…` addresses keep working (revalidated).
- **Precompressed assets**: a hashed file is compressed once per process and kept, not on every
  request (hls.js alone is 390 KB).

BREACH: compression leaks a secret only when the same secret is repeated across the thousands of
responses an attacker makes the victim's browser fetch, next to attacker-chosen text. Lentera's
CSRF token is re-signed with a timestamp on every page (Flask-WTF), so its secret part differs
from one second to the next; the session cookie travels in headers, which HTTP compression does
not touch. Responses that carry a secret minted for the person (an API token, a private calendar
address) are sent uncompressed all the same: those endpoints are listed in
`UNCOMPRESSED_ENDPOINTS`, and any view can call `no_compress()`.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from pathlib import Path

from flask import Flask, Response, abort, current_app, g, request
from flask_compress import Compress
from werkzeug.routing import Rule

#: a year: the longest lifetime caches honour
IMMUTABLE = "public, max-age=31536000, immutable"

#: views whose answer carries a secret made for the person: never compressed (see BREACH above)
UNCOMPRESSED_ENDPOINTS = {"api.token", "agenda.new_feed"}

#: text types worth compressing when served from the hashed routes (images and video already are)
_TEXT_SUFFIXES = {".css": "text/css", ".js": "text/javascript", ".mjs": "text/javascript",
                  ".svg": "image/svg+xml", ".json": "application/json", ".txt": "text/plain",
                  ".html": "text/html", ".webmanifest": "application/manifest+json"}

compress = Compress()
_lock = threading.Lock()
_hashes: dict[str, tuple[int, int, str]] = {}  # path -> (mtime_ns, size, hash)
_encoded: dict[tuple[str, str, str], bytes] = {}  # (path, hash, encoding) -> body


def no_compress() -> None:
    """Send this request's response uncompressed (it carries a secret next to user input)."""
    g.lentera_no_compress = True


def file_hash(path: Path) -> str | None:
    """The first 12 hex digits of the file's SHA-256, or None when there is no such file.
    Remembered per (mtime, size): a file changed on disk (development) gets a new hash."""
    try:
        st = path.stat()
    except OSError:
        return None
    key = str(path)
    known = _hashes.get(key)
    if known and known[0] == st.st_mtime_ns and known[1] == st.st_size:
        return known[2]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    with _lock:
        _hashes[key] = (st.st_mtime_ns, st.st_size, digest)
    return digest


def static_path(filename: str) -> Path | None:
    """The file under app/static for `filename`, or None when it is missing or outside the folder."""
    root = Path(current_app.static_folder or "").resolve()
    try:
        path = (root / filename).resolve()
    except (OSError, ValueError):
        return None
    if root not in path.parents or not path.is_file():
        return None
    return path


def vendor_path(name: str) -> Path | None:
    from app.web import VENDOR_FILES

    rel = VENDOR_FILES.get(name)
    if rel is None:
        return None
    path = Path(current_app.root_path).parent / "node_modules" / rel
    return path if path.is_file() else None


def _choose_encoding() -> str | None:
    accepted = {part.split(";")[0].strip().lower() for part in request.headers.get("Accept-Encoding", "").split(",")}
    if "br" in accepted:
        return "br"
    if "gzip" in accepted:
        return "gzip"
    return None


def _encode(body: bytes, encoding: str) -> bytes:
    if encoding == "br":
        import brotli

        # Once per file and process: the best ratio is worth it for the small files every page
        # loads; a large library at 11 would hold its first request for seconds (swagger-ui: 17 s),
        # at 8 it is within 10 % of that size in well under a second.
        return brotli.compress(body, quality=11 if len(body) <= 128 * 1024 else 8)
    return gzip.compress(body, compresslevel=9, mtime=0)


def send_asset(path: Path, wanted_hash: str | None) -> Response:
    """The file, compressed when text and the client takes it; immutable when asked by its current
    hash, revalidated otherwise (an old page asking for a file that has since changed)."""
    current = file_hash(path)
    if current is None:
        abort(404)
    mimetype = _TEXT_SUFFIXES.get(path.suffix.lower())
    if mimetype is None:
        import mimetypes

        mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    encoding = _choose_encoding() if path.suffix.lower() in _TEXT_SUFFIXES else None
    if encoding:
        key = (str(path), current, encoding)
        body = _encoded.get(key)
        if body is None:
            body = _encode(path.read_bytes(), encoding)
            with _lock:
                _encoded[key] = body
    else:
        body = path.read_bytes()
    if mimetype.startswith("text/") or mimetype.endswith(("javascript", "json")):
        mimetype += "; charset=utf-8"
    resp = Response(body, content_type=mimetype)
    if encoding:
        resp.headers["Content-Encoding"] = encoding
    resp.headers["Vary"] = "Accept-Encoding"
    resp.set_etag(f"{current}-{encoding or 'identity'}")
    if wanted_hash == current:
        resp.headers["Cache-Control"] = IMMUTABLE
    else:
        resp.headers["Cache-Control"] = "no-cache"
    return resp.make_conditional(request)


def _serve_static(filename: str, h: str | None = None) -> Response:
    path = static_path(filename)
    if path is None:
        abort(404)
    return send_asset(path, h)


def _serve_vendor(name: str, h: str | None = None) -> Response:
    path = vendor_path(name)
    if path is None:
        abort(404)
    return send_asset(path, h)


def _first(app: Flask, rule: Rule) -> None:
    """Make `rule` the one url_for() builds for its endpoint (rules are tried in the order added)."""
    app.url_map.add(rule)
    rules = app.url_map._rules_by_endpoint[rule.endpoint]
    rules.remove(rule)
    rules.insert(0, rule)


#: npm libraries this part serves (added to app.web.VENDOR_FILES): hls.js's light build (no
#: subtitles, no DRM: 390 KB instead of 620 KB, and loaded only when "play" is pressed), and
#: Workbox's service-worker modules, loaded by /sw.js from here instead of Google's CDN.
OFFLINE_VENDOR_FILES = {
    "hls.light.min.js": "hls.js/dist/hls.light.min.js",
    "workbox-sw.js": "workbox-sw/build/workbox-sw.js",
    "workbox-core.prod.js": "workbox-core/build/workbox-core.prod.js",
    "workbox-precaching.prod.js": "workbox-precaching/build/workbox-precaching.prod.js",
    "workbox-routing.prod.js": "workbox-routing/build/workbox-routing.prod.js",
    "workbox-strategies.prod.js": "workbox-strategies/build/workbox-strategies.prod.js",
    # the bound of the service worker's cache of static files (least recently used go first)
    "workbox-expiration.prod.js": "workbox-expiration/build/workbox-expiration.prod.js",
}


def init_app(app: Flask) -> None:
    from app.web import VENDOR_FILES

    VENDOR_FILES.update(OFFLINE_VENDOR_FILES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "deflate"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 5)
    app.config.setdefault("COMPRESS_MIN_SIZE", 256)
    app.config.setdefault("COMPRESS_STREAMS", False)  # files and video go by their own routes
    app.config["COMPRESS_REGISTER"] = False  # registered below, so that a view can opt out
    compress.init_app(app)

    @app.after_request
    def _compress(resp: Response) -> Response:
        if g.get("lentera_no_compress") or request.endpoint in UNCOMPRESSED_ENDPOINTS:
            return resp
        return compress.after_request(resp)

    # `/s/<hash>/<path>` for the app's static files and `/v/<hash>/<name>` for npm libraries, the
    # rules url_for() builds; the plain addresses stay, served by the same functions.
    _first(app, Rule("/s/<h>/<path:filename>", endpoint="static", methods=["GET"]))
    app.view_functions["static"] = _serve_static
    _first(app, Rule("/v/<h>/<name>", endpoint="web.vendor", methods=["GET"]))
    app.view_functions["web.vendor"] = _serve_vendor

    @app.url_defaults
    def _hashed(endpoint: str, values: dict) -> None:
        if "h" in values:
            return
        if endpoint == "static":
            path = static_path(values.get("filename", ""))
        elif endpoint == "web.vendor":
            path = vendor_path(values.get("name", ""))
        else:
            return
        digest = file_hash(path) if path is not None else None
        if digest:
            values["h"] = digest
