"""Runs Ralph's LRS (`python -m tests.ralph_server HOST PORT`) with its file-system backend set to
append. Ralph 5's fs backend writes with "create" by default, which refuses every write after the
first to its one statements file (a limitation of that backend, not of the LRS API); appending is
what an LRS store does, so the tests' LRS keeps every batch."""

from __future__ import annotations

import sys

import uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND

if __name__ == "__main__":
    uvicorn.run("ralph.api:app", host=sys.argv[1], port=int(sys.argv[2]), log_level="warning")
