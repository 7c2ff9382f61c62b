"""Certificates rendered per second (PDF with QR; unsigned and PAdES-signed) against bare
ReportLab drawing the same page in the same run (ceiling ratio 1.3), and a bulk ZIP of 2,000.

    .venv/bin/python bench/bench_certificates.py [--n 200] [--zip 2000]

Bare ReportLab: a canvas, the same embedded Noto fonts, the same strings at the same places and
the same QR modules as rectangles — no database, no template lookup, no shaping pass, no storage.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LENTERA_NO_SCHEDULER", "1")

CEILING = 1.3


def bare_page(data, fonts: dict[str, str]) -> bytes:
    """The same page drawn with nothing but ReportLab."""
    import segno
    from reportlab.pdfgen import canvas

    from app.certificates.pdf import PAGE, date_id, jp_text

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=PAGE, pageCompression=1)
    w, h = PAGE
    c.setStrokeColorRGB(0.12, 0.31, 0.55)
    c.setLineWidth(3)
    c.rect(24, 24, w - 48, h - 48)
    c.setLineWidth(0.8)
    c.rect(32, 32, w - 64, h - 64)
    reg, bold = fonts["regular"], fonts["bold"]
    for font, size, y, text in [
        (bold, 30, 470, data.heading), (reg, 11, 445, f"Nomor: {data.serial}"), (reg, 12, 405, "Diberikan kepada"),
        (bold, 26, 370, data.holder_name), (reg, 12, 350, f"NIP. {data.holder_nip}"),
        (reg, 12, 318, f"yang telah mengikuti pelatihan {data.training_type}"), (bold, 18, 292, data.title),
        (reg, 11, 266, f"yang diselenggarakan oleh {data.organiser} pada {date_id(data.start_date)} s.d. "
                       f"{date_id(data.end_date)} selama {jp_text(data.jp)} JP")]:
        c.setFont(font, size)
        c.drawCentredString(421, y, text)
    c.setFont(reg, 11)
    c.drawCentredString(640, 190, f"{data.place_of_issue}, {date_id(data.issued_on)}")
    c.drawCentredString(640, 173, data.signatory_position)
    c.setFont(bold, 12)
    c.drawCentredString(640, 95, data.signatory_name)
    qr = segno.make(data.verify_url, error="m", micro=False)
    matrix = list(qr.matrix)
    size, x, y = 95, 60, 60
    module = size / (len(matrix) + 4)
    path = c.beginPath()
    for r, row in enumerate(matrix):
        start = None
        for col, bit in enumerate(list(row) + [0]):
            if bit and start is None:
                start = col
            elif not bit and start is not None:
                path.rect(x + (2 + start) * module, y + size - (3 + r) * module, (col - start) * module, module)
                start = None
    c.drawPath(path, stroke=0, fill=1)
    c.setFont(reg, 7)
    c.drawCentredString(x + size / 2, y - 10, "Pindai untuk memeriksa keaslian")
    c.drawString(x + size + 8, y + 6, data.verify_url)
    c.showPage()
    c.save()
    return buf.getvalue()


def rates(fns: dict, n: int, rounds: int = 5) -> dict[str, float]:
    """Pages per second of each function, measured in interleaved rounds (the machine is shared:
    interleaving exposes every contender to the same load) and taking each one's best round."""
    for fn in fns.values():
        fn()  # warm-up (font registration, caches)
    best = dict.fromkeys(fns, 0.0)
    for _ in range(rounds):
        for name, fn in fns.items():
            start = time.perf_counter()
            for _ in range(n):
                fn()
            best[name] = max(best[name], n / (time.perf_counter() - start))
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=40, help="pages per round and contender")
    parser.add_argument("--zip", type=int, default=2000, help="certificates in the bulk ZIP")
    args = parser.parse_args()
    measure(args.n, args.zip)


def run() -> list:
    """For bench/run_all.py: the rates as Figures (ceiling = bare reportlab drawing the same page)."""
    from bench.harness import Figure, Result

    r = measure(40, 2000)

    def res(name: str, rate: float) -> Result:
        return Result(url=name, connections=1, seconds=0.0, requests=0, rps=rate, p50_ms=1000 / rate if rate else 0,
                      p95_ms=0.0, p99_ms=0.0, errors=0)

    bare = res("bare reportlab", r["bare"])
    figures = [Figure(f"certificate {k} (per s; ratio = lentera/bare, goal >= {1 / CEILING:.0%})", res(k, r[k]), bare,
                      workers=1, database="sqlite") for k in ("page", "unsigned", "signed")]
    figures.append(Figure(f"bulk ZIP of {r['zip_n']} signed certificates, a job (per s; ceiling = bare drawing)",
                          res("zip", r["zip_rate"]), bare, workers=1, database="sqlite"))
    return figures


def measure(n: int, zip_n: int) -> dict:
    from types import SimpleNamespace

    args = SimpleNamespace(n=n, zip=zip_n)
    from app import create_app
    from app.extensions import db

    tmp = Path(tempfile.mkdtemp(prefix="lentera-bench-cert-"))
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}",
                      "INSTANCE_PATH": str(tmp / "instance"), "LENTERA_STORAGE_PATH": str(tmp / "storage"),
                      "SCHEDULER_ENABLED": False, "CERT_PUBLIC_BASE_URL": "https://lentera.example"})
    import flask_migrate

    with app.app_context():
        flask_migrate.upgrade(revision="heads")
        from app.accounts import operations as acc
        from app.accounts.models import User
        from app.certificates import operations as ops
        from app.certificates.cli import ensure_demo_signing_certificate
        from app.certificates.models import Certificate
        from app.certificates.pdf import font_name, render_pdf
        from app.courses.models import Course

        ensure_demo_signing_certificate()
        inst = acc.create_unit("Pemerintah Provinsi Maluku Utara", None, "instansi", "MALUT")
        ops.save_template(None, unit=inst, serial_format="BPSDM-MALUT/{year}/{seq:06d}", serial_code="X",
                          place_of_issue="Sofifi", signatory_name="Dr. Kepala BPSDM, M.Si.",
                          signatory_position="Kepala BPSDM Provinsi Maluku Utara")
        course = Course(code="BENCH", title="Tata Kelola Keuangan Daerah Berbasis Elektronik", jp=24,
                        certificate=True, organiser="BPSDM Provinsi Maluku Utara", training_type="teknis")
        db.session.add(course)
        db.session.flush()
        user = acc.create_user("bench", password="rahasia123", name="Siti Nurhaliza Umasangadji", unit=inst,
                               nip="198703122010012003")
        cert = ops.issue_for_course(user, course)
        db.session.commit()
        data = ops.page_data(cert)
        tpl = cert.template
        fonts = {"regular": font_name("latin"), "bold": font_name("latin-bold")}
        images = ops.template_images(tpl)

        fresh = lambda: db.session.get(Certificate, cert.id)  # noqa: E731
        r = rates({"bare": lambda: bare_page(data, fonts),
                   "page": lambda: render_pdf(data, tpl, images),
                   "unsigned": lambda: ops.render_certificate(fresh(), sign=False),
                   "signed": lambda: ops.render_certificate(fresh(), sign=True)}, args.n)
        bare = r["bare"]
        print(f"bare reportlab:            {bare:8.1f} pages/s")
        print(f"lentera page (drawing):    {r['page']:8.1f} pages/s   ratio {bare / r['page']:.2f} (ceiling {CEILING})")
        print(f"lentera unsigned (full):   {r['unsigned']:8.1f} certs/s   ratio {bare / r['unsigned']:.2f} "
              f"(ceiling {CEILING})")
        print(f"lentera signed (PAdES):    {r['signed']:8.1f} certs/s   ratio {bare / r['signed']:.2f} "
              f"(ceiling {CEILING}; incremental update + pyHanko's CMS from the signer's template)")

        # bulk ZIP: `args.zip` certificates of one course, rendered, signed, zipped by the job
        users = [User(username=f"u{i}", name=f"Peserta Nomor {i}", unit_id=inst.id, nip=f"19900101201501{i:04d}")
                 for i in range(args.zip)]
        db.session.add_all(users)
        db.session.flush()
        for u in users:
            ops.issue_for_course(u, course)
        db.session.commit()
        admin = acc.create_user("admin-bench", password="rahasia123", name="Admin", roles=["admin"])
        acc.set_roles(admin, ["admin"], {"admin": None})
        db.session.commit()
        from app.jobs.operations import run_pending

        job = ops.request_zip(admin, {"course_id": course.id})
        db.session.commit()
        rss_before = _proc_status("VmRSS")
        _reset_peak()
        start = time.perf_counter()
        run_pending()
        elapsed = time.perf_counter() - start
        rss_after = _proc_status("VmHWM")  # peak since the reset: the job's own high-water mark
        from app.jobs.models import Job
        from app.storage import get_storage

        job = db.session.get(Job, job.id)
        assert job.state == "done", job.message
        raw = get_storage().read_bytes(job.result["key"])
        n = len(zipfile.ZipFile(io.BytesIO(raw)).namelist())
        print(f"bulk ZIP: {n} signed certificates in {elapsed:.1f} s ({n / elapsed:.1f}/s), "
              f"ZIP {len(raw) / 1e6:.1f} MB, RSS {rss_before / 1024:.0f} MB before, peak {rss_after / 1024:.0f} MB "
              f"during the job (+{(rss_after - rss_before) / 1024:.0f} MB; the ZIP is spooled to a temporary file)")
        return {**r, "zip_n": n, "zip_rate": n / elapsed}


def _proc_status(field: str) -> int:
    """A memory figure of this process in kB, from /proc (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    except OSError:
        pass


if __name__ == "__main__":
    main()
