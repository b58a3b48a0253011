#!/usr/bin/env python3
"""Run tronlab's benchmark scripts side by side with the peer engines, in one command.

    .venv/bin/python benchmarks/run_peers.py                      # 100k + 1M, 3 repeats, all
    .venv/bin/python benchmarks/run_peers.py --setup-peers        # first create the peer venv
    .venv/bin/python benchmarks/run_peers.py --engines tronlab_vector numpy vectorbt \\
        --sizes 100000 1000000 --repeats 3 --commission-bars 0

Steps:

1. Data: runs the peer suite's ``gen_data.py`` for every missing ``bars_<N>.parquet`` into
   ``--data-dir`` (default ``$TRONLAB_BENCH_DATA`` or ``~/.cache/tronlab-bench/data``,
   outside the repository).
2. Runs: every script (``benchmarks/bench_tronlab_*.py`` with ``--our-python``, the peers'
   ``bench_*.py`` with ``--peer-python``) as its own process with
   ``--data FILE --commission RATE``, interleaved round-robin over the repeats, like the
   peers' ``harness.py`` (which only discovers scripts in its own folder). Around each
   process it measures whole-process wall time and peak RSS (``os.wait4`` rusage).
   A script's ``# bench-max-bars: N`` header limits the sizes it runs at.
3. Summary: medians per engine/size/commission, the trade and PnL difference against the
   exact NumPy reference, the speed RATIOS of each tronlab engine against each peer (run
   seconds and process wall), and the correctness check: tronlab's trades (and, without
   commission, PnL to the cent) must equal the reference. Exit status 1 when a check or a
   run fails.

The peer suite is found through ``$TRONLAB_PEER_BENCH`` (default
``<repo>/../shared/bench/engines``). The peer engines need their own venv (pinned versions in
the suite's ``requirements.txt``): ``--peer-python`` / ``$TRONLAB_PEER_PYTHON``, else the
suite's default ``<suite>/../../../venvs/bench``, else ``~/.cache/tronlab-bench/venv``;
``--setup-peers`` creates the last one with the suite's ``setup_venv.sh``. Without a peer
venv only the two references (numpy, python_loop) run, with our Python.

Outputs under ``--out`` (default ``~/.cache/tronlab-bench/results``): ``runs.jsonl``,
``summary.json`` and ``summary.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PEER_DIR = Path(
    os.environ.get("TRONLAB_PEER_BENCH", str(REPO.parent / "shared" / "bench" / "engines"))
).resolve()
CACHE = Path(os.environ.get("TRONLAB_BENCH_CACHE", str(Path.home() / ".cache" / "tronlab-bench")))

REFERENCE = "numpy"
OURS_PREFIX = "tronlab"
# Reference numbers of the exact NumPy engine (peer README), used when it is not run.
EXPECTED = {
    100_000: (1_338, -68.00),
    1_000_000: (13_867, -4_627.00),
    5_000_000: (68_913, -17_718.00),
}
# Engines that need nothing beyond numpy + pandas + pyarrow (our venv can run them).
LIGHT_PEERS = {"numpy", "python_loop"}
ORDER = [
    "tronlab_vector",
    "tronlab_event",
    "tronlab_event_risk",
    "numpy",
    "python_loop",
    "vectorbt",
    "backtesting",
]
ORDER += ["bt", "nautilus", "backtrader"]


def default_peer_python() -> Path | None:
    for cand in (
        os.environ.get("TRONLAB_PEER_PYTHON"),
        PEER_DIR / ".." / ".." / ".." / "venvs" / "bench" / "bin" / "python",
        CACHE / "venv" / "bin" / "python",
    ):
        if cand and Path(cand).exists():
            return Path(cand)
    return None


def default_our_python() -> Path:
    venv = REPO / ".venv" / "bin" / "python"
    return venv if venv.exists() else Path(sys.executable)


def discover(folder: Path, pattern: str) -> list[dict[str, Any]]:
    found = []
    for path in sorted(folder.glob("bench_*.py")):
        m = re.fullmatch(pattern, path.name)
        if not m:
            continue
        head = path.read_text(errors="ignore")[:4000]
        mm = re.search(r"bench-max-bars:\s*(\d+)", head)
        found.append(
            {
                "name": m.group(1),
                "path": path,
                "script": path.name,
                "max_bars": int(mm.group(1)) if mm else None,
            }
        )
    return found


def run_one(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float) -> dict[str, Any]:
    """Run one benchmark process; return its JSON line plus wall time and peak RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd, env=env)  # noqa: S603
        deadline = t0 + timeout
        timed_out = False
        while True:
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
            if pid == proc.pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                timed_out = True
                _, status, rusage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.005)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    rec: dict[str, Any] = {
        "wall_s": round(wall, 4),
        "peak_rss_mb": round(rusage.ru_maxrss / 1024.0, 1),  # Linux: KiB
        "user_s": round(rusage.ru_utime, 3),
        "sys_s": round(rusage.ru_stime, 3),
        "rc": proc.returncode,
        "ok": False,
    }
    line = next((ln for ln in reversed(stdout.strip().splitlines()) if ln.startswith("{")), None)
    if proc.returncode == 0 and line:
        try:
            rec.update(json.loads(line))
            rec["ok"] = True
        except json.JSONDecodeError:
            pass
    if not rec["ok"]:
        last = (stderr.strip().splitlines() or ["(no stderr)"])[-1][:300]
        rec["error"] = f"timeout after {timeout:g}s" if timed_out else last
    return rec


def ensure_data(sizes: list[int], data_dir: Path, python: Path) -> None:
    missing = [n for n in sizes if not (data_dir / f"bars_{n}.parquet").exists()]
    if not missing:
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    cmd = [str(python), str(PEER_DIR / "gen_data.py"), "--out", str(data_dir), "--bars"]
    print(f"generating {missing} into {data_dir}", file=sys.stderr, flush=True)
    subprocess.run([*cmd, *map(str, missing)], check=True)  # noqa: S603


def setup_peers(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating the peer venv at {venv} (a few minutes)", file=sys.stderr, flush=True)
        subprocess.run(["bash", str(PEER_DIR / "setup_venv.sh"), str(venv)], check=True)  # noqa: S603, S607
    return python


def fmt_rate(x: float) -> str:
    if x >= 1e6:
        return f"{x / 1e6:.1f} M"
    if x >= 1e3:
        return f"{x / 1e3:.0f} k"
    return f"{x:.0f}"


def reference_rows(rows: list[dict[str, Any]]) -> dict[tuple[int, float], dict[str, Any]]:
    return {
        (r["bars"], r["commission"]): r for r in rows if r["name"] == REFERENCE and "trades" in r
    }


def summarise(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, int, float], list[dict[str, Any]]] = defaultdict(list)
    for r in runs:
        groups[(r["name"], r["bars_req"], r["commission_req"])].append(r)
    rows = []
    for (name, bars, comm), rs in groups.items():
        ok = [r for r in rs if r["ok"]]
        row: dict[str, Any] = {"name": name, "bars": bars, "commission": comm, "n": len(ok)}
        row["n_failed"] = len(rs) - len(ok)
        if not ok:
            row.update(engine=name, error=rs[-1].get("error"))
            rows.append(row)
            continue

        def med(key: str, ok: list[dict[str, Any]] = ok) -> float | None:
            vals = [r[key] for r in ok if key in r]
            return statistics.median(vals) if len(vals) == len(ok) else None

        secs = [r["seconds"] for r in ok]
        row.update(
            engine=ok[0]["engine"],
            version=ok[0]["version"],
            trades=ok[0]["trades"],
            pnl=ok[0]["pnl"],
            consistent=len({(r["trades"], r["pnl"]) for r in ok}) == 1,
            seconds=statistics.median(secs),
            seconds_min=min(secs),
            seconds_max=max(secs),
            prep_seconds=med("prep_seconds"),
            warmup_seconds=med("warmup_seconds"),
            wall_s=med("wall_s"),
            peak_rss_mb=med("peak_rss_mb"),
        )
        row["bars_per_s"] = bars / row["seconds"] if row["seconds"] > 0 else float("inf")
        rows.append(row)
    ref = reference_rows(rows)
    for r in rows:
        rr = ref.get((r["bars"], r["commission"]))
        if rr and "trades" in r:
            r["d_trades"] = r["trades"] - rr["trades"]
            r["d_pnl"] = round(r["pnl"] - rr["pnl"], 2)
    rank = {n: i for i, n in enumerate(ORDER)}
    rows.sort(key=lambda r: (r["commission"], r["bars"], rank.get(r["name"], 99), r["name"]))
    return rows


def table(rows: list[dict[str, Any]], commission: float) -> str:
    out = [
        "| engine | version | bars | trades | PnL | Δtrades vs ref | ΔPnL vs ref | median run s "
        "(min–max) | bars/s | prep s | warm-up s | process wall s | peak RSS MB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if r["commission"] != commission:
            continue
        if "trades" not in r:
            failed = f"| {r['engine']} | - | {r['bars']:,} | FAILED: {r.get('error')} |"
            out.append(failed + " |" * 9)
            continue
        flag = "" if r["consistent"] else " (varies!)"
        d_tr = f"{r['d_trades']:+d}" if "d_trades" in r else "n/a"
        d_pnl = f"{r['d_pnl']:+,.2f}" if "d_pnl" in r else "n/a"
        out.append(
            f"| {r['engine']} | {r['version']} | {r['bars']:,} | {r['trades']:,}{flag} | "
            f"{r['pnl']:,.2f} | {d_tr} | {d_pnl} | {r['seconds']:.3f} "
            f"({r['seconds_min']:.3f}–{r['seconds_max']:.3f}) | {fmt_rate(r['bars_per_s'])} | "
            f"{r['prep_seconds'] or 0:.3f} | {r['warmup_seconds'] or 0:.2f} | "
            f"{r['wall_s'] or 0:.2f} | {r['peak_rss_mb'] or 0:,.0f} |"
        )
    return "\n".join(out) + "\n"


def _times(x: float) -> str:
    """``x`` = peer time / our time, as '3.9x faster' or '40x slower'."""
    if x >= 1:
        return f"{x:.1f}x faster than"
    return f"{1 / x:.1f}x slower than" if x > 0 else "n/a vs"


def ratios(rows: list[dict[str, Any]]) -> list[str]:
    """Each tronlab engine against each peer at the same size and commission."""
    lines = []
    ok = [r for r in rows if "trades" in r]
    for ours in (r for r in ok if r["name"].startswith(OURS_PREFIX)):
        for peer in ok:
            if peer["name"].startswith(OURS_PREFIX) or (peer["bars"], peer["commission"]) != (
                ours["bars"],
                ours["commission"],
            ):
                continue
            run_x = peer["seconds"] / ours["seconds"] if ours["seconds"] > 0 else float("inf")
            wall_x = (peer["wall_s"] or 0) / ours["wall_s"] if ours["wall_s"] else 0.0
            lines.append(
                f"{ours['engine']} @ {ours['bars']:,} bars, commission {ours['commission']:g}: "
                f"{_times(run_x)} {peer['engine']} warm ({ours['seconds']:.3f} s vs "
                f"{peer['seconds']:.3f} s); process wall {_times(wall_x)} it "
                f"({ours['wall_s']:.2f} s vs {peer['wall_s']:.2f} s)"
            )
    return lines


def checks(rows: list[dict[str, Any]]) -> list[tuple[bool, str]]:
    """tronlab's trades must equal the exact reference; without commission PnL too."""
    results = []
    ref = reference_rows(rows)
    for r in rows:
        if not r["name"].startswith(OURS_PREFIX):
            continue
        if "trades" not in r:
            results.append((False, f"{r['engine']} @ {r['bars']:,}: run failed: {r.get('error')}"))
            continue
        rr = ref.get((r["bars"], r["commission"]))
        if rr is not None:
            want_trades, want_pnl, src = rr["trades"], rr["pnl"], "numpy reference (this run)"
        elif r["bars"] in EXPECTED:
            want_trades, want_pnl = EXPECTED[r["bars"]]
            src = "numpy reference (peer README)"
            if r["commission"]:
                want_pnl = None
        else:
            results.append((True, f"{r['engine']} @ {r['bars']:,}: no reference to compare"))
            continue
        good = r["trades"] == want_trades
        msg = f"{r['engine']} @ {r['bars']:,}, commission {r['commission']:g}: trades "
        msg += f"{r['trades']:,} vs {want_trades:,} ({src})"
        if want_pnl is not None:
            pnl_diff = r["pnl"] - want_pnl
            if r["commission"] == 0:
                good = good and abs(pnl_diff) < 0.005
            msg += f"; PnL {r['pnl']:,.2f} vs {want_pnl:,.2f} (Δ {pnl_diff:+,.2f}"
            msg += ", cent-rounded fees)" if r["commission"] else ")"
        if not r["consistent"]:
            good = False
            msg += "; results vary between repeats"
        results.append((good, msg))
    return results


def machine_info() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as fh:
            names = (ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name"))
            cpu = next(names, cpu)
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--engines", nargs="*", help="e.g. tronlab_vector numpy vectorbt (default all)")
    ap.add_argument("--commission", type=float, default=0.0003, help="rate of the commission pass")
    ap.add_argument("--commission-bars", type=int, default=1_000_000, help="0 skips the pass")
    ap.add_argument("--commission-repeats", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per process")
    ap.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("TRONLAB_BENCH_DATA", str(CACHE / "data"))),
    )
    ap.add_argument("--out", type=Path, default=CACHE / "results")
    ap.add_argument("--our-python", type=Path, default=default_our_python())
    ap.add_argument("--peer-python", type=Path, default=default_peer_python())
    ap.add_argument(
        "--setup-peers",
        action="store_true",
        help=f"create the peer venv at {CACHE / 'venv'} with the suite's setup_venv.sh if missing",
    )
    args = ap.parse_args()

    if not (PEER_DIR / "common.py").is_file():
        print(f"peer suite not found at {PEER_DIR} (set TRONLAB_PEER_BENCH)", file=sys.stderr)
        return 2
    if args.setup_peers and args.peer_python is None:
        args.peer_python = setup_peers(CACHE / "venv")

    ours = discover(HERE, r"bench_(tronlab_[a-z0-9_]+)\.py")
    peers = discover(PEER_DIR, r"bench_([A-Za-z0-9_]+)\.py")
    engines = []
    for e in ours:
        engines.append({**e, "python": args.our_python, "cwd": REPO})
    for e in peers:
        python = args.peer_python or (args.our_python if e["name"] in LIGHT_PEERS else None)
        if python is None:
            if not args.engines or e["name"] in args.engines:
                print(f"skip {e['name']}: no peer venv (use --setup-peers)", file=sys.stderr)
            continue
        engines.append({**e, "python": python, "cwd": PEER_DIR})
    if args.engines:
        unknown = set(args.engines) - {e["name"] for e in ours + peers}
        if unknown:
            print(f"unknown engines: {sorted(unknown)}", file=sys.stderr)
            return 2
        engines = [e for e in engines if e["name"] in args.engines]
    rank = {n: i for i, n in enumerate(ORDER)}
    engines.sort(key=lambda e: (rank.get(e["name"], 99), e["name"]))
    if not engines:
        print("no engines to run", file=sys.stderr)
        return 2

    plan = [(n, 0.0, args.repeats) for n in args.sizes]
    if args.commission_bars:
        plan.append((args.commission_bars, args.commission, args.commission_repeats))
    ensure_data(sorted({p[0] for p in plan}), args.data_dir, args.peer_python or args.our_python)

    env = {**os.environ, "TRONLAB_PEER_BENCH": str(PEER_DIR), "TQDM_DISABLE": "1"}
    args.out.mkdir(parents=True, exist_ok=True)
    runs: list[dict[str, Any]] = []
    with open(args.out / "runs.jsonl", "w") as fh:
        for bars, comm, reps in plan:
            data = args.data_dir / f"bars_{bars}.parquet"
            todo = [e for e in engines if e["max_bars"] is None or bars <= e["max_bars"]]
            for rep in range(reps):
                for eng in todo:
                    cmd = [str(eng["python"]), str(eng["path"]), "--data", str(data)]
                    cmd += ["--commission", repr(comm)]
                    rec = run_one(cmd, eng["cwd"], env, args.timeout)
                    rec.update(name=eng["name"], script=eng["script"], bars_req=bars)
                    rec.update(commission_req=comm, repeat=rep)
                    runs.append(rec)
                    fh.write(json.dumps(rec) + "\n")
                    fh.flush()
                    if rec["ok"]:
                        msg = (
                            f"{rec['engine']:>16} bars={bars:>9,} comm={comm:<7g} rep={rep} "
                            f"trades={rec['trades']:>7,} pnl={rec['pnl']:>12,.2f} "
                            f"run={rec['seconds']:8.3f}s wall={rec['wall_s']:7.2f}s "
                            f"rss={rec['peak_rss_mb']:6.0f}MB"
                        )
                    else:
                        msg = f"{eng['name']:>16} bars={bars:>9,} comm={comm:<7g} rep={rep} "
                        msg += f"FAILED: {rec.get('error')}"
                    print(msg, file=sys.stderr, flush=True)

    rows = summarise(runs)
    info = machine_info()
    ratio_lines = ratios(rows)
    check_lines = checks(rows)
    md = [f"Machine: {info['cpu']}, {info['cpus']} CPUs, Python {info['python']}, {info['date']}\n"]
    md.append(f"\nZero commission, median of {args.repeats} run(s):\n\n")
    md.append(table(rows, 0.0))
    if args.commission_bars:
        md.append(
            f"\nCommission {args.commission:g} x notional per fill, "
            f"{args.commission_repeats} run(s):\n\n"
        )
        md.append(table(rows, args.commission))
    if ratio_lines:
        md.append("\nRatios (median warm run seconds, and median process wall):\n\n")
        md.extend(f"- {ln}\n" for ln in ratio_lines)
    if check_lines:
        md.append("\nChecks against the exact reference:\n\n")
        md.extend(f"- {'OK  ' if good else 'FAIL'} {msg}\n" for good, msg in check_lines)
    text = "".join(md)
    (args.out / "summary.md").write_text(text)
    with open(args.out / "summary.json", "w") as fh:
        json.dump({"machine": info, "rows": rows, "checks": check_lines}, fh, indent=1)
    print(text)
    print(f"results: {args.out}", file=sys.stderr)
    all_ok = all(r["ok"] for r in runs) and all(good for good, _ in check_lines)
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
