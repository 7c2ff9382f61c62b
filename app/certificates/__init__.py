"""Certificates: templates, numbering, PDF with QR code, PAdES signing, public verification."""
