"""What makes the ledger's chain evidence against someone who can write to the database.

A plain SHA-256 chain only shows edits made behind the application's back by someone who does
not bother to recompute it: with write access to the database, an entry can be changed and every
hash after it recomputed, and `ledger verify` passes. Two things held *outside* the database
close that:

- **The key.** Entries are chained with HMAC-SHA256 under a secret key (`hash_version` 2): the
  setting `LEDGER_HMAC_KEY` (environment `LENTERA_LEDGER_HMAC_KEY`, shared by every worker and
  host), else the file `instance/ledger-hmac.key`, created on first use, readable by the app only.
  Without the key no valid hash can be computed, so a changed entry cannot be re-chained. Entries
  recorded before the key existed keep their SHA-256 hash (`hash_version` 1) and stay verifiable;
  the first keyed entry seals them, since its MAC covers the last unkeyed hash.
- **Checkpoints.** Signed (HMAC) records of the chain head — entry count, last id, last hash, time —
  kept in file storage (`ledger/checkpoints.jsonl`, local or S3), written once a day by the
  scheduler, by `flask ledger checkpoint` (for cron) and by every successful `flask ledger verify`. A tail cut
  off together with the head row, or keyed entries rewritten as unkeyed ones (a downgrade), no
  longer match a checkpoint. The first keyed append records `keyed_after`: every later entry must
  carry a MAC.

Back the key up apart from the database: a restored database without it cannot be verified.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import current_app

KEY_FILE = "ledger-hmac.key"
CHECKPOINTS_KEY = "ledger/checkpoints.jsonl"
#: hash_version of entries: 1 = SHA-256 (before the key), 2 = HMAC-SHA256 under the key.
UNKEYED, KEYED = 1, 2


def _key_path() -> Path:
    return Path(current_app.instance_path) / KEY_FILE


def key(create: bool = False) -> bytes | None:
    """The ledger's HMAC key: the setting, else the instance file (made when `create`)."""
    configured = current_app.config.get("LEDGER_HMAC_KEY")
    if configured:
        return configured.encode("utf-8") if isinstance(configured, str) else bytes(configured)
    cache = current_app.extensions.setdefault("ledger_hmac_key", {})
    path = _key_path()
    if str(path) in cache:
        return cache[str(path)]
    if not path.is_file():
        if not create:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker made it first: use theirs
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(os.urandom(32).hex())
            if not str(current_app.config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
                # A shared database behind several hosts needs one shared key, or each host makes its own.
                logging.getLogger(__name__).warning(
                    "ledger key made in %s; with several hosts set LENTERA_LEDGER_HMAC_KEY to one shared key", path)
    value = path.read_text().strip().encode("ascii")
    if not value:
        return None
    cache[str(path)] = value
    return value


def key_id(k: bytes) -> str:
    """A short name for a key (which key signed a checkpoint), revealing nothing of it."""
    return hashlib.sha256(b"lentera-ledger-key-id:" + k).hexdigest()[:12]


def mac(k: bytes, data: bytes) -> str:
    return hmac.new(k, data, hashlib.sha256).hexdigest()


# --- checkpoints -----------------------------------------------------------------------------

@dataclass
class Checkpoint:
    kind: str  # "head" (a sealed chain head) or "keyed" (from here on every entry is keyed)
    at: str
    last_entry_id: int | None
    last_hash: str | None
    entries: int | None
    key_id: str
    mac: str

    def body(self) -> dict[str, Any]:
        return {"kind": self.kind, "at": self.at, "last_entry_id": self.last_entry_id, "last_hash": self.last_hash,
                "entries": self.entries, "key_id": self.key_id}


def _canon(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _storage():
    from app.storage import get_storage

    return get_storage()


def read_checkpoints() -> list[dict[str, Any]]:
    """Every stored checkpoint line as written (not yet checked)."""
    store = _storage()
    if not store.exists(CHECKPOINTS_KEY):
        return []
    lines = store.read_bytes(CHECKPOINTS_KEY).decode("utf-8").splitlines()
    out = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except ValueError:
            out.append({"kind": "unreadable"})
    return out


def valid_checkpoint(raw: dict[str, Any], k: bytes) -> Checkpoint | None:
    """The checkpoint when its MAC is right under `k`, else None (forged, altered or another key)."""
    try:
        cp = Checkpoint(kind=raw["kind"], at=raw["at"], last_entry_id=raw["last_entry_id"],
                        last_hash=raw["last_hash"], entries=raw["entries"], key_id=raw["key_id"], mac=raw["mac"])
    except (KeyError, TypeError):
        return None
    if cp.kind not in ("head", "keyed") or not hmac.compare_digest(mac(k, _canon(cp.body())), str(cp.mac)):
        return None
    return cp


def write_checkpoint(kind: str, last_entry_id: int | None, last_hash: str | None, entries: int | None) -> Checkpoint:
    k = key(create=True)
    assert k is not None
    body = {"kind": kind, "at": datetime.now(UTC).isoformat(timespec="seconds"), "last_entry_id": last_entry_id,
            "last_hash": last_hash, "entries": entries, "key_id": key_id(k)}
    cp = Checkpoint(**body, mac=mac(k, _canon(body)))
    store = _storage()
    existing = store.read_bytes(CHECKPOINTS_KEY) if store.exists(CHECKPOINTS_KEY) else b""
    line = json.dumps({**body, "mac": cp.mac}, sort_keys=True).encode("utf-8") + b"\n"
    store.put_bytes(CHECKPOINTS_KEY, existing + line, content_type="application/x-ndjson")
    return cp


def mark_keyed(last_unkeyed_id: int | None) -> None:
    """Record, once, that entries after `last_unkeyed_id` are keyed (called under the chain lock)."""
    store = _storage()
    if getattr(store, "_ledger_keyed_marked", False):  # once per process and storage: no read per append
        return
    if not any(raw.get("kind") == "keyed" for raw in read_checkpoints()):
        write_checkpoint("keyed", last_unkeyed_id, None, None)
    store._ledger_keyed_marked = True
