#!/usr/bin/env python3
"""Paired A/B of two pipeline_runner binaries on one config: the runs alternate (A B, B A, ...)
so that a noisy machine slows both alike; prints each side's median and minimum.

Usage: ab.py BIN_A BIN_B CONFIG [--runs N] [--dry-run]
Each binary gets its own copy of the config's project (state and logs start empty), so the
records one writes never change what the other sees."""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("config", help="a pipeline.yaml whose root is its folder's parent")
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--dry-run", action="store_true", help="time --dry-run (the decision only)")
    args = p.parse_args()
    project = os.path.dirname(os.path.dirname(os.path.abspath(args.config)))
    rel_config = os.path.relpath(os.path.abspath(args.config), project)
    work = tempfile.mkdtemp(prefix="pipeline-ab-")
    sides = {}
    try:
        for name, binary in (("A", args.a), ("B", args.b)):
            copy = os.path.join(work, name)
            shutil.copytree(project, copy, symlinks=True,
                            ignore=shutil.ignore_patterns("state", "logs"))
            sides[name] = ([os.path.abspath(binary), "--run-once", "-q", "-c",
                            os.path.join(copy, rel_config)] + (["--dry-run"] if args.dry_run else []),
                           [])
        for i in range(args.runs):
            for name in (("A", "B") if i % 2 == 0 else ("B", "A")):
                argv, times = sides[name]
                start = time.perf_counter()
                r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                times.append((time.perf_counter() - start) * 1000)
                if r.returncode not in (0, 1):
                    sys.exit(f"{name}: exit {r.returncode}: {r.stderr[:300]!r}")
        for name, binary in (("A", args.a), ("B", args.b)):
            t = sides[name][1]
            print(f"{name} {binary}: median {statistics.median(t):.1f} ms, "
                  f"min {min(t):.1f} ms, n {len(t)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
