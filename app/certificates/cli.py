"""`flask certificates …` commands and the demo template and signing certificate."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app.certificates import operations as ops
from app.certificates import signing
from app.certificates.models import CertificateTemplate
from app.extensions import db


def ensure_demo_signing_certificate() -> Path | None:
    """Make a self-signed CA + signing certificate under the instance folder when no signing
    certificate is configured (CERT_SIGNING_KEY / CERT_SIGNING_CERT). Returns its folder."""
    if current_app.config.get("CERT_SIGNING_KEY") and current_app.config.get("CERT_SIGNING_CERT"):
        return None
    folder = Path(current_app.instance_path) / signing.DEMO_DIR
    if not (folder / "signing-key.pem").is_file():
        signing.make_demo_certificates(folder)
    return folder


def seed_demo() -> None:
    """BPSDM Maluku Utara's template (numbering BPSDM-MALUT/{year}/{seq:06d}) and a demo signing
    certificate."""
    from app.accounts.models import Unit

    ensure_demo_signing_certificate()
    instansi = db.session.scalar(select(Unit).where(Unit.code == "MALUT"))
    if instansi is None:
        return
    if db.session.scalar(select(CertificateTemplate).where(CertificateTemplate.unit_id == instansi.id)) is None:
        ops.save_template(None, unit=instansi, serial_format="{code}/{year}/{seq:06d}", serial_code="BPSDM-MALUT",
                          heading="SERTIFIKAT", place_of_issue="Sofifi",
                          signatory_name="Dr. Muhammad Miftah Baay, S.Pi., M.Si.",
                          signatory_position="Kepala BPSDM Provinsi Maluku Utara")
    db.session.flush()


@click.group("certificates")
def certificates_group() -> None:
    """Certificates: signing certificate, cache."""


@certificates_group.command("make-demo-signer")
@click.option("--dir", "directory", type=click.Path(file_okay=False), help="Default: <instance>/certificates")
@click.option("--organisation", default="BPSDM Provinsi Maluku Utara", show_default=True)
@with_appcontext
def make_demo_signer(directory, organisation) -> None:
    """Generate a self-signed CA and signing certificate (demo only; use a BSrE certificate in production)."""
    folder = Path(directory) if directory else Path(current_app.instance_path) / signing.DEMO_DIR
    key, cert = signing.make_demo_certificates(folder, organisation)
    click.echo(f"Kunci: {key}\nSertifikat: {cert}\nCA: {folder / 'ca-cert.pem'}")


@certificates_group.command("verify-pdf")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--ca", type=click.Path(exists=True, dir_okay=False), help="Trusted root certificate (PEM)")
@with_appcontext
def verify_pdf(path, ca) -> None:
    """Check the signatures of a certificate PDF."""
    result = signing.validate_pdf(Path(path).read_bytes(), Path(ca).read_bytes() if ca else None)
    for s in result["signatures"]:
        click.echo(f"{s['signer']}: utuh={s['intact']} sah={s['valid']} dipercaya={s['trusted']} cakupan={s['coverage']}")
    if not result["ok"]:
        raise click.ClickException("Tanda tangan tidak ada atau tidak sah.")


def register(app: Flask) -> None:
    app.cli.add_command(certificates_group)
