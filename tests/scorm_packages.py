"""SCORM 1.2 packages built at test time: the manifest and the SCO pages are written here, so a
test names exactly what the package holds."""

from __future__ import annotations

import io
import stat
import zipfile
from xml.sax.saxutils import escape

NS = ('xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" '
      'xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2" '
      'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"')

#: A SCO that plays itself: LMSInitialize, reads suspend_data back onto the page (resume), and on
#: the button writes a score, suspend_data, session time and status, then LMSFinish.
SCO_PAGE = """<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title}</title>
<script>
function findAPI(w) {{ var n = 0; while (!w.API && w.parent && w.parent !== w && n++ < 7) {{ w = w.parent; }} return w.API; }}
var api = null;
window.addEventListener("load", function () {{
  api = findAPI(window);
  document.getElementById("api").textContent = api ? "ada" : "tidak ada";
  if (!api) return;
  api.LMSInitialize("");
  document.getElementById("entry").textContent = api.LMSGetValue("cmi.core.entry");
  document.getElementById("resume").textContent = api.LMSGetValue("cmi.suspend_data");
  document.getElementById("student").textContent = api.LMSGetValue("cmi.core.student_name");
  document.getElementById("mastery").textContent = api.LMSGetValue("cmi.student_data.mastery_score");
  var c = "diblokir";
  try {{ c = document.cookie === "" ? "kosong" : "terbaca"; }} catch (e) {{ c = "diblokir"; }}
  document.getElementById("cookie").textContent = c;
}});
function finish(score) {{
  api.LMSSetValue("cmi.core.score.raw", String(score));
  api.LMSSetValue("cmi.suspend_data", "halaman=akhir");
  api.LMSSetValue("cmi.core.lesson_location", "akhir");
  api.LMSSetValue("cmi.core.session_time", "0000:01:30.00");
  for (var i = 0; i < {interactions}; i++) {{
    api.LMSSetValue("cmi.interactions." + i + ".id", "q" + i);
    api.LMSSetValue("cmi.interactions." + i + ".type", "choice");
    api.LMSSetValue("cmi.interactions." + i + ".student_response", "a");
    api.LMSSetValue("cmi.interactions." + i + ".result", "correct");
  }}
  api.LMSSetValue("cmi.core.lesson_status", "{status}");
  api.LMSCommit("");
  api.LMSFinish("");
  document.getElementById("state").textContent = "terkirim";
}}
function pause() {{
  api.LMSSetValue("cmi.suspend_data", "halaman=2");
  api.LMSSetValue("cmi.core.exit", "suspend");
  api.LMSSetValue("cmi.core.lesson_status", "incomplete");
  api.LMSCommit("");
  api.LMSFinish("");
  document.getElementById("state").textContent = "dijeda";
}}
</script></head>
<body><h1>{title}</h1>
<p>API: <span id="api">?</span>; entry: <span id="entry"></span>; lanjut: <span id="resume"></span>;
 peserta: <span id="student"></span>; mastery: <span id="mastery"></span>; cookie: <span id="cookie"></span></p>
<button id="finish" onclick="finish({score})">Selesaikan</button>
<button id="pause" onclick="pause()">Jeda</button>
<p id="state"></p>
<img src="gambar.svg" alt="gambar">
</body></html>
"""

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'


def manifest(items: list[dict], *, identifier: str = "PAKET-UJI", title: str = "Paket Uji",
             schemaversion: str = "1.2", extra_ns: str = "") -> str:
    """items: {"id", "title", "href" (None for a heading), "mastery", "prereq", "data", "children", "type"}."""
    resources: list[str] = []

    def item_xml(it: dict) -> str:
        ref = ""
        if it.get("href"):
            rid = f"RES-{it['id']}"
            ref = f' identifierref="{rid}"'
            files = "".join(f'<file href="{escape(f)}"/>' for f in it.get("files", [it["href"].split("?")[0]]))
            resources.append(f'<resource identifier="{rid}" type="webcontent" adlcp:scormtype="{it.get("type", "sco")}" '
                             f'href="{escape(it["href"])}">{files}</resource>')
        inner = f"<title>{escape(it['title'])}</title>"
        if it.get("mastery") is not None:
            inner += f"<adlcp:masteryscore>{it['mastery']}</adlcp:masteryscore>"
        if it.get("prereq"):
            inner += f'<adlcp:prerequisites type="aicc_script">{escape(it["prereq"])}</adlcp:prerequisites>'
        if it.get("data"):
            inner += f"<adlcp:datafromlms>{escape(it['data'])}</adlcp:datafromlms>"
        inner += "".join(item_xml(c) for c in it.get("children", []))
        return f'<item identifier="{it["id"]}"{ref}>{inner}</item>'

    body = "".join(item_xml(it) for it in items)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<manifest identifier="{identifier}" version="1.0" {NS} {extra_ns}>'
            f"<metadata><schema>ADL SCORM</schema><schemaversion>{schemaversion}</schemaversion></metadata>"
            f'<organizations default="ORG"><organization identifier="ORG"><title>{escape(title)}</title>{body}'
            f"</organization></organizations><resources>{''.join(resources)}</resources></manifest>")


def build_zip(files: dict[str, bytes | str], *, symlinks: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data.encode() if isinstance(data, str) else data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return buf.getvalue()


def sco_page(title: str, *, score: int = 90, status: str = "completed", interactions: int = 0) -> str:
    return SCO_PAGE.format(title=escape(title), score=score, status=status, interactions=interactions)


def single_sco(*, mastery: int | None = None, score: int = 90, status: str = "completed", interactions: int = 0,
               title: str = "Etika ASN") -> bytes:
    return build_zip({
        "imsmanifest.xml": manifest([{"id": "ITEM-1", "title": title, "href": "sco/index.html", "mastery": mastery,
                                      "data": "mulai=1", "files": ["sco/index.html", "sco/gambar.svg"]}], title=title),
        "sco/index.html": sco_page(title, score=score, status=status, interactions=interactions),
        "sco/gambar.svg": SVG,
    })


def multi_sco() -> bytes:
    """Three SCOs under a heading: the second needs the first, the third needs both (mastery 80)."""
    items = [{"id": "BAB-1", "title": "Bab 1", "href": None, "children": [
        {"id": "SCO-A", "title": "Pengantar", "href": "a/index.html"},
        {"id": "SCO-B", "title": "Inti", "href": "b/index.html?bagian=2", "prereq": "SCO-A"},
        {"id": "SCO-C", "title": "Tes", "href": "c/index.html", "prereq": "SCO-A & SCO-B", "mastery": 80},
    ]}]
    return build_zip({
        "imsmanifest.xml": manifest(items, title="Paket Tiga SCO"),
        "a/index.html": sco_page("Pengantar"), "a/gambar.svg": SVG,
        "b/index.html": sco_page("Inti"), "b/gambar.svg": SVG,
        "c/index.html": sco_page("Tes", score=85, status="completed"), "c/gambar.svg": SVG,
    })
