"""Run every bench/bench_*.py and write bench/RESULTS.md (`make bench`).

Each module exposes `run() -> list[Figure | Check]`. A module that fails is reported in
RESULTS.md with its error and the others still run. The results of each module are also kept in
bench/results.json with the date and machine of their run, so `python -m bench.run_all
bench_quizzes` re-runs one module and RESULTS.md is written again from every module's latest run
(its table says which run each row comes from).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench.harness import Check, Figure, Result, default_seconds, machine

HERE = Path(__file__).resolve().parent
STORE = HERE / "results.json"


def _encode(item: Figure | Check) -> dict:
    return {"type": type(item).__name__, **dataclasses.asdict(item)}


def _decode(data: dict) -> Figure | Check:
    data = dict(data)
    kind = data.pop("type")
    if kind == "Check":
        return Check(**data)
    return Figure(**{**data, "result": Result(**data["result"]), "ceiling": Result(**data["ceiling"])})


def run_module(name: str) -> dict:
    started = datetime.now(UTC)
    entry = {"started": f"{started:%Y-%m-%d %H:%M} UTC", "machine": machine(), "items": [], "error": None}
    print(f"== {name}", flush=True)
    try:
        module = importlib.import_module(f"bench.{name}")
        entry["doc"] = (module.__doc__ or "").strip()
        for item in module.run():
            print(item.line(), flush=True)
            entry["items"].append(_encode(item))
    except Exception:  # noqa: BLE001 - one broken benchmark must not hide the others
        entry["error"] = traceback.format_exc()
        print(entry["error"], file=sys.stderr)
    return entry


def _ceiling_name(ceiling: Result) -> str:
    return "bare Flask" if ceiling.url.startswith("http") else ceiling.url


def _summary_rows(name: str, entry: dict) -> list[str]:
    when = f"{entry['started']}, load {entry['machine']['loadavg']}"
    if entry["error"]:
        return [f"| {name} | — | **FAILED** (see below) | | | {when} |"]
    rows = []
    for item in map(_decode, entry["items"]):
        if isinstance(item, Check):
            rows.append(f"| {name} | {item.name} | **{'PASS' if item.ok else 'FAIL'}** — {item.summary} | | | {when} |")
            continue
        r, c = item.result, item.ceiling
        latency = f", p50 {r.p50_ms:.1f} / p95 {r.p95_ms:.1f} / p99 {r.p99_ms:.1f} ms" if r.p95_ms else ""
        errors = f", {r.errors} errors" if r.requests else ""
        shape = f"{item.database}, {item.workers} workers" if item.workers > 1 else item.database
        spread = f"; {item.spread()}" if item.spread() else ""
        rows.append(f"| {name} | {item.name} ({shape}) | {r.rps:,.1f}/s{latency}"
                    f"{errors}{spread} | {c.rps:,.1f}/s ({_ceiling_name(c)}) | {item.ratio:.1%} | {when} |")
    return rows


def _section(name: str, entry: dict) -> str:
    text = [f"## {name}\n", entry.get("doc", ""), ""]
    if entry["error"]:
        text += ["FAILED:", "", "```", entry["error"].rstrip(), "```", ""]
        return "\n".join(text)
    items = [_decode(i) for i in entry["items"]]
    figures = [i for i in items if isinstance(i, Figure)]
    if figures:
        text += ["| figure | db | workers | conns | req/s | p50 ms | p95 ms | p99 ms | errors | ceiling req/s "
                 "| ceiling p50/p95 ms | ratio |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for f in figures:
            r, c = f.result, f.ceiling
            text.append(f"| {f.name} | {f.database} | {f.workers} | {r.connections} | {r.rps:.1f} | {r.p50_ms:.1f} "
                        f"| {r.p95_ms:.1f} | {r.p99_ms:.1f} | {r.errors} | {c.rps:.1f} "
                        f"| {c.p50_ms:.1f} / {c.p95_ms:.1f} | {f.ratio:.1%} |")
        text.append("")
    for check in (i for i in items if isinstance(i, Check)):
        text += [f"**{check.name}: {'PASS' if check.ok else 'FAIL'}** — {check.summary}", ""]
        if check.detail:
            text += [check.detail, ""]
    return "\n".join(text)


def write_results(store: dict) -> None:
    info = next(iter(store.values()))["machine"] if store else machine()
    lines = [
        "# Benchmark results", "",
        "Written by `make bench` (bench/run_all.py) from bench/results.json, the latest run of each "
        "benchmark module.", "",
        f"- Machine: {info['nproc']} CPU(s), {info['cpu']}, {info['ram']} RAM; Python {info['python']}",
        "- The load generator, the app, its database and anything else on the machine share these CPUs: "
        "compare ratios rather than absolute figures across machines. The load average when each module "
        "started is in its row.",
        f"- Web figures: {default_seconds()} s of wrk after a 2 s warm-up; the ceiling (bare Flask \"hello\" under "
        "the same gunicorn settings, or the bare operation the figure names) is measured in the same run, right "
        "before the figure it is compared with; ratio = figure ÷ ceiling.", "",
        "## Every benchmark", "",
        "| module | figure | result | ceiling in the same run | ratio | run |", "|---|---|---|---|---|---|",
    ]
    for name in sorted(store):
        lines += _summary_rows(name, store[name])
    lines.append("")
    lines += [_section(name, store[name]) for name in sorted(store)]
    (HERE / "RESULTS.md").write_text("\n".join(lines).rstrip() + "\n")


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem for p in HERE.glob("bench_*.py"))
    store = json.loads(STORE.read_text()) if STORE.exists() and argv else {}
    failed = 0
    for name in names:
        store[name] = run_module(name)
        failed += bool(store[name]["error"]) or any(i["type"] == "Check" and not i["ok"]
                                                    for i in store[name]["items"])
        STORE.write_text(json.dumps(store, indent=1, default=str))  # after each module: a crash keeps the rest
        write_results(store)
    print(f"wrote {HERE / 'RESULTS.md'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
