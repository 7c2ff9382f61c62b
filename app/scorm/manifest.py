"""Reading a SCORM 1.2 `imsmanifest.xml` (IMS Content Packaging 1.1.2 + ADL CP 1.2 extensions):
the default organisation's items in order, each item's resource and launch address, mastery
score, launch data, time limits and prerequisites. SCORM 2004 manifests are recognised and
refused with a clear message (their sequencing is not supported).

Namespaces vary between authoring tools (and some omit them), so elements are matched by their
local name; the parser never resolves entities nor fetches anything."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import PurePosixPath
from urllib.parse import unquote

from flask_babel import gettext as _
from lxml import etree

MANIFEST_NAME = "imsmanifest.xml"
MAX_ITEMS = 2000


class ManifestError(Exception):
    """A manifest Lentera cannot play; `message` says why in words an instructor can act on."""

    def __init__(self, message: str, code: str = "bad_manifest") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Item:
    identifier: str
    title: str
    depth: int
    href: str = ""  # path in the package + parameters; "" for a heading
    scorm_type: str = "sco"
    launch_data: str = ""
    mastery_score: Decimal | None = None
    max_time_allowed: str = ""
    time_limit_action: str = ""
    prerequisites: str = ""


@dataclass
class Manifest:
    identifier: str
    title: str
    items: list[Item]
    files: set[str] = field(default_factory=set)  # every file a resource names
    warnings: list[str] = field(default_factory=list)

    @property
    def launchable(self) -> list[Item]:
        return [i for i in self.items if i.href]


def _local(el) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _children(el, name: str) -> list:
    return [c for c in el if _local(c) == name]


def _child(el, name: str):
    for c in el:
        if _local(c) == name:
            return c
    return None


def _attr(el, name: str) -> str:
    """An attribute by local name, whatever namespace prefix the tool gave it (adlcp:scormtype,
    adlcp:scormType, scormtype)."""
    for key, value in el.attrib.items():
        if etree.QName(key).localname.lower() == name.lower():
            return value.strip()
    return ""


def _text(el, name: str) -> str:
    c = _child(el, name)
    return (c.text or "").strip() if c is not None else ""


def clean_href(base: str, href: str) -> str | None:
    """A resource's address made relative to the package root, or None when it points outside
    the package (absolute path, `..` escaping, another scheme)."""
    href = href.strip()
    if not href:
        return None
    path, _sep, query = href.partition("?")
    path = path.split("#", 1)[0]
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", path) or path.startswith(("/", "\\")) or "\\" in path:
        return None
    joined = PurePosixPath(unquote(base)) / unquote(path) if base else PurePosixPath(unquote(path))
    parts: list[str] = []
    for p in joined.parts:
        if p in ("", "."):
            continue
        if p == "..":
            if not parts:
                return None
            parts.pop()
            continue
        parts.append(p)
    if not parts:
        return None
    return "/".join(parts) + (f"?{query}" if query else "")


def _is_2004(root) -> bool:
    version = ""
    meta = _child(root, "metadata")
    if meta is not None:
        version = _text(meta, "schemaversion")
    if version and ("2004" in version or "1.3" in version or "CAM" in version.upper()):
        return True
    namespaces = {ns for el in root.iter() if isinstance(el.tag, str) for ns in [etree.QName(el).namespace] if ns}
    namespaces |= {etree.QName(k).namespace for el in root.iter() if isinstance(el.tag, str)
                   for k in el.attrib if etree.QName(k).namespace}
    return any(ns and ("adlcp_v1p3" in ns or "imsss" in ns or "adlseq" in ns or "adlnav" in ns) for ns in namespaces)


def parse_manifest(data: bytes) -> Manifest:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ManifestError(_("imsmanifest.xml bukan XML yang valid (baris %(l)s): %(m)s",
                              l=exc.lineno or "?", m=str(exc.msg)[:200])) from None
    if _local(root) != "manifest":
        raise ManifestError(_("imsmanifest.xml tidak berisi elemen manifest."))
    if _is_2004(root):
        raise ManifestError(_("Ini paket SCORM 2004. Lentera saat ini hanya memutar SCORM 1.2; ekspor ulang "
                              "materi sebagai SCORM 1.2 dari alat penyusunnya."), code="scorm_2004_unsupported")
    meta = _child(root, "metadata")
    version = _text(meta, "schemaversion") if meta is not None else ""
    warnings: list[str] = []
    if version and version not in ("1.2", "1.2.0") and not version.startswith("1.2"):
        warnings.append(_("schemaversion '%(v)s' tidak dikenal; dibaca sebagai SCORM 1.2.", v=version[:40]))

    base = _attr(root, "base")
    resources_el = _child(root, "resources")
    if resources_el is None:
        raise ManifestError(_("imsmanifest.xml tidak memiliki elemen resources."))
    res_base = base + _attr(resources_el, "base")
    resources: dict[str, tuple[str | None, str, str]] = {}
    files: set[str] = set()
    for res in _children(resources_el, "resource"):
        ident = _attr(res, "identifier")
        rbase = res_base + _attr(res, "base")
        href = _attr(res, "href")
        stype = (_attr(res, "scormtype") or "sco").lower()
        clean = None
        if href:
            clean = clean_href(rbase, href)
            if clean is None:
                raise ManifestError(_("Resource '%(r)s' menunjuk ke luar paket: %(h)s", r=ident[:80], h=href[:200]),
                                    code="manifest_outside_package")
            files.add(clean.split("?", 1)[0])
        for f in _children(res, "file"):
            fh = _attr(f, "href")
            if not fh:
                continue
            cf = clean_href(rbase, fh)
            if cf is None:
                raise ManifestError(_("Berkas '%(h)s' pada resource '%(r)s' menunjuk ke luar paket.",
                                      h=fh[:200], r=ident[:80]), code="manifest_outside_package")
            files.add(cf.split("?", 1)[0])
        resources[ident] = (clean, stype if stype in ("sco", "asset") else "sco", rbase)

    orgs_el = _child(root, "organizations")
    orgs = _children(orgs_el, "organization") if orgs_el is not None else []
    org = None
    if orgs:
        default = _attr(orgs_el, "default")
        org = next((o for o in orgs if _attr(o, "identifier") == default), orgs[0])
    items: list[Item] = []
    seen: set[str] = set()

    def walk(parent, depth: int) -> None:
        for it in _children(parent, "item"):
            if len(items) >= MAX_ITEMS:
                raise ManifestError(_("Paket memuat lebih dari %(n)d item.", n=MAX_ITEMS))
            ident = _attr(it, "identifier") or f"item-{len(items) + 1}"
            if _attr(it, "isvisible").lower() == "false":
                # CAM 2.3.4: not shown in the structure. A learner could never open it, so it is
                # neither listed nor required for completion; its children are still read.
                warnings.append(_("Item '%(i)s' disembunyikan oleh paket (isvisible=false); tidak ditampilkan dan "
                                  "tidak dihitung untuk penyelesaian.", i=ident[:80]))
                walk(it, depth)
                continue
            if ident in seen:
                raise ManifestError(_("Identifier item '%(i)s' dipakai dua kali.", i=ident[:80]))
            seen.add(ident)
            title = _text(it, "title") or ident
            href = ""
            stype = "sco"
            ref = _attr(it, "identifierref")
            if ref:
                if ref not in resources:
                    raise ManifestError(_("Item '%(i)s' merujuk resource '%(r)s' yang tidak ada.", i=ident[:80],
                                          r=ref[:80]))
                rhref, stype, _rbase = resources[ref]
                if rhref:
                    params = _attr(it, "parameters")
                    href = rhref
                    if params:
                        params = params.lstrip("?&")
                        href += ("&" if "?" in href else "?") + params
            mastery = None
            raw = _text(it, "masteryscore")
            if raw:
                try:
                    mastery = Decimal(raw)
                except InvalidOperation:
                    mastery = None
                if mastery is None or not 0 <= mastery <= 100:
                    raise ManifestError(_("masteryscore item '%(i)s' harus angka 0–100 (ini '%(v)s').",
                                          i=ident[:80], v=raw[:20]))
            prereq = _text(it, "prerequisites")
            if prereq and not prerequisites_supported(prereq):
                warnings.append(_("Prasyarat item '%(i)s' (%(p)s) memakai bentuk yang belum didukung; "
                                  "item itu selalu dapat dibuka.", i=ident[:80], p=prereq[:100]))
            items.append(Item(identifier=ident[:255], title=title[:255], depth=depth, href=href, scorm_type=stype,
                              launch_data=_text(it, "datafromlms")[:4096], mastery_score=mastery,
                              max_time_allowed=_text(it, "maxtimeallowed")[:20],
                              time_limit_action=_text(it, "timelimitaction")[:30], prerequisites=prereq[:1000]))
            walk(it, depth + 1)

    if org is not None:
        walk(org, 0)
    else:
        # No organisation: each launchable resource is an item, in manifest order.
        for ident, (href, stype, _b) in resources.items():
            if href:
                items.append(Item(identifier=ident, title=ident, depth=0, href=href, scorm_type=stype))
    if not any(i.href for i in items):
        raise ManifestError(_("Paket tidak memiliki satu pun materi yang dapat dibuka (item dengan resource href)."),
                            code="manifest_no_sco")
    title = (_text(org, "title") if org is not None else "") or _attr(root, "identifier") or "SCORM"
    return Manifest(identifier=_attr(root, "identifier")[:255], title=title[:255], items=items, files=files,
                    warnings=warnings)


# --- prerequisites (AICC script, the simple part) -------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(?P<op>[&|~()])|(?P<cmp><>|=)|(?P<id>[A-Za-z0-9_.\-:]+)|(?P<q>\"[^\"]*\"))")
_STATUS_WORDS = {"passed", "completed", "failed", "incomplete", "browsed", "not attempted",
                 "p", "c", "f", "i", "b", "n"}
_SHORT = {"p": "passed", "c": "completed", "f": "failed", "i": "incomplete", "b": "browsed", "n": "not attempted"}


def _tokens(expr: str) -> list[tuple[str, str]] | None:
    out: list[tuple[str, str]] = []
    pos = 0
    expr = expr.strip()
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if m is None or m.end() == pos:
            return None
        pos = m.end()
        if m.group("op"):
            out.append(("op", m.group("op")))
        elif m.group("cmp"):
            out.append(("cmp", m.group("cmp")))
        elif m.group("id"):
            out.append(("id", m.group("id")))
        else:
            out.append(("id", m.group("q")[1:-1]))
    return out


def prerequisites_supported(expr: str) -> bool:
    try:
        return evaluate_prerequisites(expr, {}) is not None
    except ValueError:
        return False


def evaluate_prerequisites(expr: str, statuses: dict[str, str]) -> bool | None:
    """True when `expr` (`a & (b | ~c)`, `a = failed`, `a <> passed`) holds for the items'
    lesson_status values; an identifier alone holds when that item is passed or completed.
    None for an empty expression. Raises ValueError for syntax Lentera does not read (sets `3*{…}`)."""
    if not expr.strip():
        return None
    toks = _tokens(expr)
    if toks is None:
        raise ValueError(expr)
    pos = 0

    def peek() -> tuple[str, str] | None:
        return toks[pos] if pos < len(toks) else None

    def take() -> tuple[str, str]:
        nonlocal pos
        if pos >= len(toks):
            raise ValueError(expr)
        pos += 1
        return toks[pos - 1]

    def factor() -> bool:
        kind, val = take()
        if (kind, val) == ("op", "~"):
            return not factor()
        if (kind, val) == ("op", "("):
            v = disj()
            if take() != ("op", ")"):
                raise ValueError(expr)
            return v
        if kind != "id":
            raise ValueError(expr)
        status = statuses.get(val, "not attempted")
        nxt = peek()
        if nxt is not None and nxt[0] == "cmp":
            take()
            kind2, word = take()
            if kind2 != "id" or word.lower() not in _STATUS_WORDS:
                raise ValueError(expr)
            word = _SHORT.get(word.lower(), word.lower())
            return (status == word) if nxt[1] == "=" else (status != word)
        return status in ("passed", "completed")

    def conj() -> bool:
        v = factor()
        while peek() == ("op", "&"):
            take()
            v = factor() and v
        return v

    def disj() -> bool:
        v = conj()
        while peek() == ("op", "|"):
            take()
            v = conj() or v
        return v

    result = disj()
    if pos != len(toks):
        raise ValueError(expr)
    return result
