"""Run every bench/bench_*.py and write bench/RESULTS.md (`make bench`).

Each module exposes `run() -> list[Figure]`; a module that fails is reported in RESULTS.md with
its error and the others still run.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import Figure, default_seconds, machine

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem for p in HERE.glob("bench_*.py"))
    info = machine()
    started = datetime.now(UTC)
    sections: list[str] = []
    failed = 0
    for name in names:
        print(f"== {name}", flush=True)
        try:
            figures: list[Figure] = importlib.import_module(f"bench.{name}").run()
        except Exception:  # noqa: BLE001 - one broken benchmark must not hide the others
            failed += 1
            err = traceback.format_exc()
            print(err, file=sys.stderr)
            sections.append(f"## {name}\n\nFAILED:\n\n```\n{err}```\n")
            continue
        rows = ["| figure | db | workers | conns | req/s | p50 ms | p95 ms | p99 ms | errors | bare Flask req/s "
                "| bare p50/p95 ms | ratio |",
                "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for f in figures:
            print(f.line(), flush=True)
            r, c = f.result, f.ceiling
            rows.append(f"| {f.name} | {f.database} | {f.workers} | {r.connections} | {r.rps:.1f} | {r.p50_ms:.1f} "
                        f"| {r.p95_ms:.1f} | {r.p99_ms:.1f} | {r.errors} | {c.rps:.1f} "
                        f"| {c.p50_ms:.1f} / {c.p95_ms:.1f} | {f.ratio:.1%} |")
        doc = (importlib.import_module(f"bench.{name}").__doc__ or "").strip()
        sections.append(f"## {name}\n\n{doc}\n\n" + "\n".join(rows) + "\n")
    header = (
        "# Benchmark results\n\n"
        f"Written by `make bench` (bench/run_all.py) on {started:%Y-%m-%d %H:%M} UTC.\n\n"
        f"- Machine: {info['nproc']} CPU(s), {info['cpu']}, {info['ram']} RAM; Python {info['python']}\n"
        f"- Load average (1 / 5 min) when the run started: {info['loadavg']} — the load generator (wrk), the "
        "app, its database and anything else on the machine share these CPUs, so compare ratios rather than "
        "absolute figures across machines.\n"
        f"- Each figure: {default_seconds()} s of wrk after a 2 s warm-up; the bare Flask \"hello\" ceiling "
        "is measured in the same run under the same gunicorn settings; ratio = req/s ÷ ceiling req/s.\n\n"
    )
    (HERE / "RESULTS.md").write_text(header + "\n".join(sections))
    print(f"wrote {HERE / 'RESULTS.md'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
