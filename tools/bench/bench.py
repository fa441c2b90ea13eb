"""pipeline_runner benchmarks. Every figure is set beside a reference measured in the same run
on the same machine, and reported as a ratio. Run through tools/bench/run.sh."""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
import time

MiB = 1024 * 1024


def timed(argv, **kw):
    """Wall seconds and peak RSS (KiB, of the process and what it waited for) of one run."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_maxrss, proc.returncode


def median_ms(argv, runs, **kw):
    return statistics.median(timed(argv, **kw)[0] for _ in range(runs)) * 1000


class Workspace:
    def __init__(self, runner, misbehave, name):
        self.root = tempfile.mkdtemp(prefix=f"pipeline-bench-{name}-")
        self.runner, self.misbehave = runner, misbehave
        os.makedirs(os.path.join(self.root, "config"))

    def config(self, stages_yaml, extra=""):
        path = os.path.join(self.root, "config", "pipeline.yaml")
        with open(path, "w") as f:
            f.write("version: 1\npipeline: bench\nroot: ..\n"
                    "paths: {raw: raw, processed: processed}\n" + extra + "stages:\n" + stages_yaml)
        self.cfg = path

    def run_argv(self, *more):
        return [self.runner, "--run-once", "-q", "-c", self.cfg, *more]

    def latest_report(self):
        d = os.path.join(self.root, "logs", "reports")
        return json.load(open(os.path.join(d, sorted(os.listdir(d))[-1])))

    def events(self, run_id):
        p = os.path.join(self.root, "logs", "events", f"pipeline_{run_id}.jsonl")
        return [json.loads(line) for line in open(p)]

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)


IDLE_STAGES = """  - name: translator
    command: [/bin/true]
    when: {files: "${paths.raw}/*.csv"}
  - name: analyzer
    command: [/bin/true]
    when: {files: "${paths.processed}/*.csv"}
  - name: merger
    command: [/bin/true]
    when: {after: [analyzer]}
"""


def bench_idle(a, rows):
    w = Workspace(a.runner, a.misbehave, "idle")
    w.config(IDLE_STAGES)
    raw = os.path.join(w.root, "raw")
    os.makedirs(raw)
    for i in range(1000):
        open(os.path.join(raw, f"unrelated_{i}.txt"), "w").close()
    subprocess.run(w.run_argv(), check=True)  # warm the page cache
    idle = median_ms(w.run_argv(), a.runs)
    noop = median_ms(["/bin/true"], a.runs)
    rows.append(("idle run (3 stages, nothing to do, 1,000 unrelated files), median",
                 f"{idle:.1f} ms", f"/bin/true start {noop:.2f} ms", f"{idle / noop:.1f}x",
                 "<= 15 ms", idle <= 15))
    snakemake = shutil.which("snakemake")
    if snakemake:
        with open(os.path.join(w.root, "Snakefile"), "w") as f:
            f.write('rule all:\n    input: "merged/out.csv"\n'
                    'rule translate:\n    input: "raw/unrelated_0.txt"\n'
                    '    output: "processed/bars.csv"\n    shell: "cp {input} {output}"\n'
                    'rule analyze:\n    input: "processed/bars.csv"\n'
                    '    output: "analysis/res.csv"\n    shell: "cp {input} {output}"\n'
                    'rule merge:\n    input: "analysis/res.csv"\n'
                    '    output: "merged/out.csv"\n    shell: "cp {input} {output}"\n')
        argv = [snakemake, "--cores", "1", "--quiet"]
        subprocess.run(argv, cwd=w.root, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)  # builds once; from now on a no-op
        snake = median_ms(argv, max(3, a.runs // 10), cwd=w.root)
        rows.append(("Snakemake no-op on the equivalent Snakefile, median", f"{snake:.0f} ms",
                     f"our idle run {idle:.1f} ms", f"{snake / idle:.0f}x slower",
                     ">= 40x", snake / idle >= 40))
    else:
        rows.append(("Snakemake no-op", "skipped: snakemake not installed", "", "", "", None))
    w.close()
    return idle


def bench_streaming(a, rows):
    lines = a.stream_mib * MiB // 100
    w = Workspace(a.runner, a.misbehave, "stream")
    w.config(f"  - name: flood\n    command: [\"{a.misbehave}\", \"--lines\", \"{lines}\"]\n")
    ref_file = os.path.join(w.root, "ref.out")
    ref_argv = ["sh", "-c", f'"{a.misbehave}" --lines {lines} | cat > "{ref_file}"']
    ours_s, ref_s, rss = [], [], 0
    # Alternate the two, three times each, and drop the output in between: each one then
    # starts with the same page cache state instead of the second paying the first's writeback.
    for _ in range(3):
        t, r, code = timed(w.run_argv())
        assert code == 0, "the streaming run failed"
        ours_s.append(t)
        rss = max(rss, r)
        shutil.rmtree(os.path.join(w.root, "logs"), ignore_errors=True)
        subprocess.run(["sync"])
        ref_s.append(timed(ref_argv)[0])
        os.remove(ref_file)
        subprocess.run(["sync"])
    ours, ref = statistics.median(ours_s), statistics.median(ref_s)
    rows.append((f"streaming {a.stream_mib} MiB of 100-byte lines through a stage",
                 f"{ours:.2f} s", f"same stage piped to cat > file {ref:.2f} s", f"{ours / ref:.2f}x",
                 "<= 1.5x", ours / ref <= 1.5))
    rows.append(("peak RSS while streaming (runner and stage)", f"{rss / 1024:.1f} MiB", "", "",
                 "< 32 MiB", rss < 32 * 1024))
    w.close()


def bench_per_stage(a, rows, idle_ms):
    w = Workspace(a.runner, a.misbehave, "stages")
    w.config("".join(f"  - name: s{i}\n    command: [/bin/true]\n" for i in range(100)))
    hundred = median_ms(w.run_argv(), max(5, a.runs // 5))
    noop = median_ms(["/bin/true"], a.runs)
    per_stage = (hundred - idle_ms) / 100
    rows.append(("per-stage overhead: (100 x /bin/true - idle run) / 100", f"{per_stage:.2f} ms",
                 f"/bin/true start {noop:.2f} ms", f"{per_stage / noop:.1f}x", "<= 3 ms",
                 per_stage <= 3))
    w.close()


def bench_termination(a, rows):
    w = Workspace(a.runner, a.misbehave, "term")
    for label, args, grace_ms, target in (
            ("obeys SIGTERM", "--sleep 60000", 2000, 50),
            ("ignores SIGTERM", "--ignore-term --sleep 60000", 500, 550)):
        argv = ", ".join(f'"{x}"' for x in [a.misbehave] + args.split())
        w.config(f"  - name: t\n    timeout: 300ms\n    grace: {grace_ms}ms\n"
                 f"    command: [{argv}]\n")
        late = []
        for _ in range(5):
            subprocess.run(w.run_argv(), stderr=subprocess.DEVNULL)
            attempt = w.latest_report()["stages"][0]["attempts"][0]
            late.append(attempt["duration_ms"] - 300)
        m = statistics.median(late)
        rows.append((f"termination, stage {label}: deadline to group dead, median",
                     f"{m:.0f} ms", f"grace {grace_ms} ms" if target > 50 else "", "",
                     f"<= {target} ms", m <= target))
    w.close()


def bench_scale(a, rows):
    for with_rule in (False, True):
        w = Workspace(a.runner, a.misbehave, "scale")
        # A lifecycle rule on the inputs makes the decision snapshot each file's size and mtime.
        rule = "lifecycle:\n  - delete: many.inputs\n" if with_rule else ""
        w.config('  - name: many\n    command: ["sh", "-c", "wc -l < \\"$$0\\"", "${inputs_file}"]\n'
                 '    when: {files: "${paths.raw}/*.csv"}\n' + rule)
        raw = os.path.join(w.root, "raw")
        os.makedirs(raw)
        for i in range(a.scale_files):
            open(os.path.join(raw, f"tick_{i:06d}.csv"), "w").close()
        subprocess.run(w.run_argv("--dry-run"), stdout=subprocess.DEVNULL)  # warm the cache
        subprocess.run(w.run_argv(), check=True)
        report = w.latest_report()
        events = w.events(report["run_id"])

        def at(name):
            e = next(e for e in events if e["event"] == name)
            return time.mktime(time.strptime(e["timestamp"][:19], "%Y-%m-%dT%H:%M:%S")) + \
                int(e["timestamp"][20:23]) / 1000
        decide = (at("many.decision") - at("pipeline.start")) * 1000
        tail = report["stages"][0]["attempts"][0]["stdout_tail"]
        handed = int(tail[-1]) if tail else -1
        label = " (inputs snapshotted for a lifecycle rule)" if with_rule else ""
        rows.append((f"scale: {a.scale_files:,} files match the glob: decision{label}",
                     f"{decide:.0f} ms", f"stage read {handed:,} paths from ${{inputs_file}}", "",
                     "<= 300 ms", decide <= 300 and handed == a.scale_files))
        w.close()


def synthetic_report(run_id, started, status, stamp):
    """A report as the runner writes it (every field of schema /1): the runner refuses less."""
    stages = []
    for name, st in (("translator", "succeeded"), ("analyzer", "succeeded"),
                     ("merger", "failed" if status == "failure" else "succeeded")):
        stages.append({"name": name, "batch": None, "decision": {"run": True, "reason": "bench"},
                       "status": st, "inputs_count": 3, "inputs": [],
                       "metrics": {"items_done": 3, "items": None, "stdout_bytes": 10,
                                   "stderr_bytes": 0},
                       "attempts": [{"attempt": 1, "started_at": started, "finished_at": started,
                                     "duration_ms": 5, "exit_code": 2 if st == "failed" else 0,
                                     "signal": None, "timed_out": False, "hung": False,
                                     "completed_by": "exit" if st == "succeeded" else None,
                                     "terminated": False, "left_processes": False,
                                     "start_error": None, "error": None,
                                     "stdout_tail": [], "stderr_tail": [],
                                     "stdout_log": f"logs/stages/{run_id}/{name}.stdout.log",
                                     "stderr_log": f"logs/stages/{run_id}/{name}.stderr.log"}]})
    return {"schema": "pipeline_runner.report/1", "run_id": run_id, "pipeline": "bench",
            "status": status, "exit_code": 0 if status == "success" else 2,
            "started_at": started, "finished_at": started, "duration_ms": 15, "host": "bench",
            "pid": 1, "runner_version": "bench", "config": {"path": "", "sha256": ""},
            "stages": stages, "lifecycle": [], "batches": [], "errors": [], "recovered": None}


def bench_history(a, rows):
    """A year of runs every 15 minutes: rebuild the history, then the audit list queries."""
    w = Workspace(a.runner, a.misbehave, "history")
    w.config(IDLE_STAGES)
    reports = os.path.join(w.root, "logs", "reports")
    os.makedirs(reports)
    now_ms = int(time.time() * 1000)
    for i in range(a.history_runs):
        ms = now_ms - (a.history_runs - i) * 15 * 60 * 1000
        h = f"{ms:012x}"
        r = os.urandom(8).hex()
        run_id = f"{h[:8]}-{h[8:12]}-7{r[:3]}-8{r[3:6]}-{r[6:16]}00"
        t = time.gmtime(ms / 1000)
        started = time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{ms % 1000:03d}+00:00"
        status = "failure" if i % 50 == 0 else ("idle" if i % 3 else "success")
        name = f"pipeline_report_{time.strftime('%Y%m%d_%H%M%S', t)}_{run_id}.json"
        with open(os.path.join(reports, name), "w") as f:
            json.dump(synthetic_report(run_id, started, status, name), f)
    cfg = ["-c", w.cfg]
    rebuild_s, _, rc = timed([a.runner, "history", "rebuild", *cfg])
    assert rc == 0, "history rebuild failed"
    version = median_ms([a.runner, "--version"], a.runs)
    plain = median_ms([a.runner, "audit", "list", "--limit", "20", *cfg], a.runs)
    filtered = median_ms([a.runner, "audit", "list", "--status", "failure", "--since", "7d",
                          "--stage", "merger", *cfg], a.runs)
    out = subprocess.run([a.runner, "audit", "list", "--json", "--status", "failure", "--since",
                          "7d", "--stage", "merger", *cfg], capture_output=True, text=True)
    found = len(json.loads(out.stdout))
    show = median_ms([a.runner, "audit", "show", "latest", *cfg], a.runs)
    idle_with_history = median_ms(w.run_argv(), a.runs)
    n = f"{a.history_runs:,}"
    rows.append((f"history: `audit list --limit 20` over {n} runs", f"{plain:.1f} ms",
                 f"`pipeline_runner --version` {version:.1f} ms", f"{plain / version:.1f}x",
                 "< 50 ms", plain < 50))
    rows.append((f"history: `audit list --status failure --since 7d --stage merger` over {n} runs"
                 f" ({found} found)", f"{filtered:.1f} ms",
                 f"`pipeline_runner --version` {version:.1f} ms", f"{filtered / version:.1f}x",
                 "< 50 ms", filtered < 50))
    rows.append((f"history: `audit show latest` over {n} runs", f"{show:.1f} ms",
                 f"`pipeline_runner --version` {version:.1f} ms", f"{show / version:.1f}x",
                 "< 50 ms", show < 50))
    rows.append((f"history: `history rebuild` from {n} reports", f"{rebuild_s:.2f} s", "", "",
                 "", None))
    rows.append((f"history: idle run recording into a {n}-run history", f"{idle_with_history:.1f} ms",
                 f"`pipeline_runner --version` {version:.1f} ms",
                 f"{idle_with_history / version:.1f}x", "<= 15 ms", idle_with_history <= 15))
    w.close()


def machine():
    cpu = "unknown CPU"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                   if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores, {cpu}, Linux {platform.release()}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default="build")
    p.add_argument("--out", default="BENCHMARKS.md")
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--stream-mib", type=int, default=1024)
    p.add_argument("--scale-files", type=int, default=100_000)
    p.add_argument("--history-runs", type=int, default=35_000)
    p.add_argument("--only", choices=["idle", "streaming", "termination", "scale", "history"],
                   help="run one group and print it (BENCHMARKS.md is left as it is)")
    a = p.parse_args()
    a.runner = os.path.abspath(os.path.join(a.build, "apps/pipeline_runner/pipeline_runner"))
    a.misbehave = os.path.abspath(os.path.join(a.build, "tools/misbehave/misbehave"))
    if not os.path.exists(a.misbehave):
        subprocess.run(["cmake", "--build", a.build, "--target", "misbehave"], check=True)
    rows = []
    if a.only:
        groups = {"idle": lambda: bench_per_stage(a, rows, bench_idle(a, rows)),
                  "streaming": lambda: bench_streaming(a, rows),
                  "termination": lambda: bench_termination(a, rows),
                  "scale": lambda: bench_scale(a, rows), "history": lambda: bench_history(a, rows)}
        groups[a.only]()
        a.out = None
    else:
        idle = bench_idle(a, rows)
        bench_per_stage(a, rows, idle)
        bench_streaming(a, rows)
        bench_termination(a, rows)
        bench_scale(a, rows)
        bench_history(a, rows)
    head = "| benchmark | measured | reference (same run) | ratio | target | met |\n" \
           "| --- | --- | --- | --- | --- | --- |\n"
    body = "".join(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | "
                   f"{'-' if r[5] is None else ('yes' if r[5] else 'NO')} |\n" for r in rows)
    text = (f"# Benchmarks\n\nMachine: {machine()}.\n"
            f"Made by `bash tools/bench/run.sh` (release build; medians of {a.runs} runs where "
            "it says median).\n\n" + head + body)
    print(head + body)
    findings = os.path.join(os.path.dirname(os.path.abspath(__file__)), "findings.md")
    if os.path.exists(findings):
        text += open(findings).read()  # what the figures mean, kept beside the script
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
