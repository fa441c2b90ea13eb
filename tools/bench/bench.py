"""pipeline_runner benchmarks. Every figure is measured beside a reference (a common tool doing
the same job) and a limit (a small C program in tools/bench/ doing only what the job cannot
skip), in the same run, alternating, at two sizes so that growth shows. Run through
tools/bench/run.sh, which writes BENCHMARKS.md."""

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
HERE = os.path.dirname(os.path.abspath(__file__))
LIMITS = ("limit_idle", "limit_spawn", "limit_scan", "limit_delete", "limit_splice")


def timed(argv, **kw):
    """Wall seconds and peak RSS (KiB, of the process and what it waited for) of one run."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_maxrss, proc.returncode


def own_peak_rss(argv):
    """The peak RSS (KiB) of the process alone, not of what it started (wait4's figure is the
    largest of the process and its children, and a child forked from it starts as big): its
    VmHWM, read until it exits."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
        except OSError:
            pass
        time.sleep(0.005)
    assert proc.returncode == 0, f"{argv} exited {proc.returncode}"
    return peak


def checked(argv, **kw):
    t, _, code = timed(argv, **kw)
    assert code == 0, f"{argv} exited {code}"
    return t


def median_ms(argv, runs, **kw):
    return statistics.median(timed(argv, **kw)[0] for _ in range(runs)) * 1000


class Noise:
    """How much the same command's time varied in this run: the largest interquartile range
    over median of the references and limits (ours varies for reasons worth showing)."""

    def __init__(self):
        self.worst = None  # not measured: no side ran 4 times or more

    def add(self, seconds):
        if len(seconds) >= 4:
            q = statistics.quantiles(seconds, n=4)
            self.worst = max(self.worst or 0.0, (q[2] - q[0]) / statistics.median(seconds))

    def __str__(self):
        return "not measured" if self.worst is None else f"up to {self.worst:.0%}"


NOISE = Noise()


def paired(sides, runs, setup=None):
    """Runs each side once per round, rotating the order every round, so that a machine that
    slows down slows every side alike. sides: {name: fn() -> seconds}; setup() before each
    timed run (untimed). Returns the median seconds of each side."""
    names = list(sides)
    times = {n: [] for n in names}
    for r in range(runs):
        for n in names[r % len(names):] + names[:r % len(names)]:
            if setup:
                setup()
            times[n].append(sides[n]())
    for n in names:
        if not n.startswith("ours"):
            NOISE.add(times[n])
    return {n: statistics.median(v) for n, v in times.items()}


class OursRun:
    """One side of a pair: a run of ours that must succeed; keeps the largest peak RSS seen
    (KiB, of the runner and what it waited for)."""

    def __init__(self, argv, what):
        self.argv, self.what, self.peak = argv, what, 0

    def __call__(self):
        t, rss, code = timed(self.argv)
        assert code == 0, f"the {self.what} run failed"
        self.peak = max(self.peak, rss)
        return t


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

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def run_argv(self, *more):
        return [self.runner, "--run-once", "-q", "-c", self.cfg, *more]

    def latest_report(self):
        d = self.path("logs", "reports")
        return json.load(open(os.path.join(d, sorted(os.listdir(d))[-1])))

    def make_files(self, folder, count, name="tick_{:06d}.csv"):
        d = self.path(folder)
        os.makedirs(d, exist_ok=True)
        for i in range(count):
            os.close(os.open(os.path.join(d, name.format(i)), os.O_CREAT | os.O_WRONLY, 0o644))
        return d

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)


class Figure:
    """One figure at one size: ours beside a reference and a limit, with its target."""

    def __init__(self, name, size, unit, ours, ref, limit, target, met, note=""):
        self.name, self.size, self.unit = name, size, unit
        self.ours, self.ref, self.limit = ours, ref, limit  # (label, value) or None
        self.target, self.met, self.note = target, met, note
        self.growth = ""

    @staticmethod
    def fmt(value, unit):
        if unit == "s":
            return f"{value:.2f} s"
        if unit == "MiB":
            return f"{value:.1f} MiB"
        return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"

    def cells(self):
        def side(s):
            if s is None or s[1] is None:
                return "" if s is None else s[0]
            return f"{s[0]} {self.fmt(s[1], self.unit)}".strip()

        def ratio(s):
            return "" if s is None or self.ours[1] is None else f"{self.ours[1] / s[1]:.2f}x"
        met = "-" if self.met is None else ("yes" if self.met else "NO")
        return [self.name, self.size, side(self.ours) + self.note, side(self.ref),
                side(self.limit), ratio(self.ref), ratio(self.limit), self.growth,
                self.target, met]


def growth(small, big, factor):
    """How the larger size's figure compares with the smaller one's, ours and the limit's."""
    g = f"size x{factor:g}: ours x{big.ours[1] / small.ours[1]:.2f}"
    if small.limit and big.limit:
        g += f", limit x{big.limit[1] / small.limit[1]:.2f}"
    big.growth = g


def flat(small, big, against, slack):
    """True when the larger size's figure is at most `slack` times the smaller one's, each taken
    relative to its own reference or limit: the two sizes run minutes apart, and this machine
    drifts by more than that in minutes."""
    side = (lambda f: f.ref) if against == "ref" else (lambda f: f.limit)
    return big.ours[1] / side(big)[1] <= slack * small.ours[1] / side(small)[1]


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


def bench_idle(a, figs):
    """An idle run: 3 stages, nothing to do, N unrelated files in the watched folder."""
    out = []
    for size in (1_000, 10_000):
        w = Workspace(a.runner, a.misbehave, "idle")
        w.config(IDLE_STAGES)
        w.make_files("raw", size, "unrelated_{:06d}.txt")
        os.makedirs(w.path("limit-state"))
        checked(w.run_argv())  # warm the page cache and create the records' folders
        limit = [a.limits["limit_idle"], w.cfg, w.path("limit-state"),
                 w.path("raw") + ":*.csv", w.path("processed") + ":*.csv"]
        m = paired({"ours": lambda: checked(w.run_argv()),
                    "ref": lambda: checked(["/bin/true"]),
                    "limit": lambda: checked(limit)}, a.runs)
        ours = m["ours"] * 1000
        ref = m["ref"] * 1000
        out.append(Figure("idle run (3 stages, nothing to do)", f"{size:,} unrelated files", "ms",
                          ("", ours), ("`/bin/true`", ref),
                          ("`limit_idle`", m["limit"] * 1000), "<= 2.5x `/bin/true`",
                          ours <= 2.5 * ref))
        if size == 1_000:
            snake = snakemake_row(a, w, ours)
        w.close()
    growth(out[0], out[1], 10)
    figs.extend(out + [snake])


def snakemake_row(a, w, idle_ms):
    snakemake = shutil.which("snakemake")
    if not snakemake:
        return Figure("Snakemake no-op", "", "ms", ("skipped: not installed", None), None, None,
                      "", None)
    with open(w.path("Snakefile"), "w") as f:
        f.write('rule all:\n    input: "merged/out.csv"\n'
                'rule translate:\n    input: "raw/unrelated_000000.txt"\n'
                '    output: "processed/bars.csv"\n    shell: "cp {input} {output}"\n'
                'rule analyze:\n    input: "processed/bars.csv"\n'
                '    output: "analysis/res.csv"\n    shell: "cp {input} {output}"\n'
                'rule merge:\n    input: "analysis/res.csv"\n'
                '    output: "merged/out.csv"\n    shell: "cp {input} {output}"\n')
    argv = [snakemake, "--cores", "1", "--quiet"]
    subprocess.run(argv, cwd=w.root, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)  # builds once; from now on a no-op
    snake = median_ms(argv, max(3, a.runs // 10), cwd=w.root)
    return Figure("Snakemake no-op on the equivalent Snakefile", "1,000 unrelated files", "ms",
                  ("", snake), ("our idle run", idle_ms), None, "ours >= 40x slower",
                  snake / idle_ms >= 40)


def bench_per_stage(a, figs):
    """The cost of one stage: (N stages of /bin/true - the same project idle) / N."""
    base = Workspace(a.runner, a.misbehave, "stages0")
    base.config('  - name: idle\n    command: [/bin/true]\n'
                '    when: {files: "${paths.raw}/*.csv"}\n')
    out = []
    for size in (10, 100):
        w = Workspace(a.runner, a.misbehave, "stages")
        w.config("".join(f"  - name: s{i}\n    command: [/bin/true]\n" for i in range(size)))
        logs = w.path("limit-logs")
        os.makedirs(logs)
        checked(w.run_argv())
        checked(base.run_argv())
        spawn = a.limits["limit_spawn"]
        m = paired({"ours": lambda: checked(w.run_argv()),
                    "ours-idle": lambda: checked(base.run_argv()),
                    "limit": lambda: checked([spawn, str(size), logs, "/bin/true"]),
                    "limit-none": lambda: checked([spawn, "0", logs, "/bin/true"]),
                    "ref": lambda: checked(["/bin/true"])}, max(8, a.runs // (size // 10)))
        ours = (m["ours"] - m["ours-idle"]) * 1000 / size
        limit = (m["limit"] - m["limit-none"]) * 1000 / size
        out.append(Figure("per-stage overhead, per stage", f"{size} x `/bin/true`", "ms",
                          ("", ours), ("`/bin/true` start", m["ref"] * 1000),
                          ("`limit_spawn`", limit), "<= 1.5x limit, flat",
                          ours <= 1.5 * limit))
        w.close()
    base.close()
    growth(out[0], out[1], 10)
    out[1].met = out[1].met and flat(out[0], out[1], "limit", 1.2)
    figs.extend(out)


def bench_streaming(a, figs):
    out = []
    for mib in (a.stream_mib // 4, a.stream_mib):
        lines = mib * MiB // 100
        w = Workspace(a.runner, a.misbehave, "stream")
        w.config(f"  - name: flood\n    command: [\"{a.misbehave}\", \"--lines\", \"{lines}\"]\n")
        ref_file = w.path("ref.out")
        stage = f'"{a.misbehave}" --lines {lines}'
        ours = OursRun(w.run_argv(), "streaming")

        def clean():
            # Each side starts with the same page cache state instead of paying for the
            # writeback of the one before.
            shutil.rmtree(w.path("logs"), ignore_errors=True)
            if os.path.exists(ref_file):
                os.remove(ref_file)
            subprocess.run(["sync"])
        m = paired({"ours": ours,
                    "ref": lambda: checked(["sh", "-c", f'{stage} | cat > "{ref_file}"']),
                    "limit": lambda: checked(
                        ["sh", "-c", f'{stage} | "{a.limits["limit_splice"]}" "{ref_file}"'])},
                   3, setup=clean)
        out.append(Figure("streaming 100-byte lines through a stage", f"{mib} MiB", "s",
                          ("", m["ours"]), ("piped to `cat > file`", m["ref"]),
                          ("piped to `limit_splice`", m["limit"]), "<= 1.1x `cat > file`",
                          m["ours"] <= 1.1 * m["ref"],
                          note=f" (peak RSS {ours.peak / 1024:.1f} MiB with the stage)"))
        w.close()
    growth(out[0], out[1], 4)
    figs.extend(out)


def bench_decision(a, figs):
    """Deciding over a folder of N matching files (--dry-run: the decision only)."""
    out = []
    for size in (a.scale_files // 10, a.scale_files):
        w = Workspace(a.runner, a.misbehave, "decide")
        w.config('  - name: many\n    command: [/bin/true]\n'
                 '    when: {files: "${paths.raw}/*.csv"}\n')
        raw = w.make_files("raw", size)
        checked(w.run_argv("--dry-run"))
        m = paired({"ours": lambda: checked(w.run_argv("--dry-run")),
                    "ref": lambda: checked(["sh", "-c", f'find "{raw}" -name "*.csv" | wc -l']),
                    "limit": lambda: checked([a.limits["limit_scan"], raw, "*.csv"])},
                   max(5, a.runs // 3))
        ours, ref = m["ours"] * 1000, m["ref"] * 1000
        out.append(Figure("decision over matching files (`--dry-run`)", f"{size:,} files", "ms",
                          ("", ours), ("`find | wc -l`", ref), ("`limit_scan`", m["limit"] * 1000),
                          "<= 2x `find | wc -l`", ours <= 2 * ref))
        w.close()
    growth(out[0], out[1], 10)
    figs.extend(out)


def bench_lifecycle(a, figs):
    """A run whose stage takes N files and whose lifecycle rule deletes them afterwards."""
    out = []
    for size in (a.scale_files // 10, a.scale_files):
        w = Workspace(a.runner, a.misbehave, "lifecycle")
        w.config('  - name: many\n    command: [/bin/true]\n'
                 '    when: {files: "${paths.raw}/*.csv"}\n', "lifecycle:\n  - delete: many.inputs\n")
        raw = w.path("raw")
        ours = OursRun(w.run_argv(), "lifecycle")

        def fill():
            w.make_files("raw", size)
        m = paired({"ours": ours,
                    "ref": lambda: checked(["find", raw, "-name", "*.csv", "-delete"]),
                    "limit": lambda: checked([a.limits["limit_delete"], raw, "*.csv"])},
                   max(3, a.runs // 10), setup=fill)
        assert not os.listdir(raw), "the lifecycle run left inputs behind"
        out.append(Figure("run whose lifecycle rule deletes every input", f"{size:,} files", "s",
                          ("", m["ours"]), ("`find -delete`", m["ref"]),
                          ("`limit_delete`", m["limit"]), "<= 1.5x limit",
                          m["ours"] <= 1.5 * m["limit"],
                          note=f" (peak RSS {ours.peak / 1024:.1f} MiB)"))
        w.close()
    growth(out[0], out[1], 10)
    figs.extend(out)


def bench_termination(a, figs):
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
        figs.append(Figure(f"termination, stage {label}: deadline to group dead", "", "ms",
                           ("", m), ("grace", grace_ms) if target > 50 else None, None,
                           f"<= {target} ms", m <= target))
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


def history_workspace(a, runs):
    """A history of `runs` runs every 15 minutes, rebuilt from synthetic reports."""
    w = Workspace(a.runner, a.misbehave, "history")
    w.config(IDLE_STAGES)
    reports = w.path("logs", "reports")
    os.makedirs(reports)
    now_ms = int(time.time() * 1000)
    for i in range(runs):
        ms = now_ms - (runs - i) * 15 * 60 * 1000
        h = f"{ms:012x}"
        r = os.urandom(8).hex()
        run_id = f"{h[:8]}-{h[8:12]}-7{r[:3]}-8{r[3:6]}-{r[6:16]}00"
        t = time.gmtime(ms / 1000)
        started = time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{ms % 1000:03d}+00:00"
        status = "failure" if i % 50 == 0 else ("idle" if i % 3 else "success")
        name = f"pipeline_report_{time.strftime('%Y%m%d_%H%M%S', t)}_{run_id}.json"
        with open(os.path.join(reports, name), "w") as f:
            json.dump(synthetic_report(run_id, started, status, name), f)
    w.rebuild_s = checked([a.runner, "history", "rebuild", "-c", w.cfg])
    return w


def latest_by_sqlite3(w):
    """The limit for `audit show latest`: one query of the history for the newest run's report,
    and that report printed."""
    db = w.path("state", "pipeline.db")
    query = "select report from runs order by started_ms desc limit 1"
    return ["sh", "-c", f'cd "{w.root}" && cat "$(sqlite3 "{db}" "{query}")"']


def bench_history(a, figs):
    """audit show latest at two sizes (it must not grow), the rest at the larger one."""
    out = []
    for size in (a.history_runs // 10, a.history_runs):
        w = history_workspace(a, size)
        cfg = ["-c", w.cfg]
        sqlite3 = shutil.which("sqlite3")
        sides = {"ours": lambda: checked([a.runner, "audit", "show", "latest", *cfg]),
                 "ref": lambda: checked([a.runner, "--version"])}
        if sqlite3:
            limit_argv = latest_by_sqlite3(w)
            sides["limit"] = lambda: checked(limit_argv)
        m = paired(sides, a.runs)
        version = m["ref"] * 1000
        out.append(Figure("history: `audit show latest`", f"{size:,} runs", "ms",
                          ("", m["ours"] * 1000), ("`pipeline_runner --version`", version),
                          ("`sqlite3` query + `cat`", m["limit"] * 1000) if sqlite3 else None,
                          "flat in the history", None))
        if size == a.history_runs:
            rest = history_rows(a, w, version)
        w.close()
    growth(out[0], out[1], 10)
    out[1].met = flat(out[0], out[1], "ref", 1.25)
    figs.extend(out + rest)


def history_rows(a, w, version):
    cfg = ["-c", w.cfg]
    n = f"{a.history_runs:,} runs"
    plain = median_ms([a.runner, "audit", "list", "--limit", "20", *cfg], a.runs)
    filtered = median_ms([a.runner, "audit", "list", "--status", "failure", "--since", "7d",
                          "--stage", "merger", *cfg], a.runs)
    out = subprocess.run([a.runner, "audit", "list", "--json", "--status", "failure", "--since",
                          "7d", "--stage", "merger", *cfg], capture_output=True, text=True)
    found = len(json.loads(out.stdout))
    idle = median_ms(w.run_argv(), a.runs)
    ref = ("`pipeline_runner --version`", version)
    page_dir = w.path("dashboard-bench")
    page = median_ms([a.runner, "dashboard", "--out", page_dir, *cfg], a.runs)
    page_kib = os.path.getsize(os.path.join(page_dir, "index.html")) / 1024
    return [Figure("history: `audit list --limit 20`", n, "ms", ("", plain), ref, None,
                   "< 50 ms", plain < 50),
            Figure(f"history: `audit list --status failure --since 7d --stage merger` "
                   f"({found} found)", n, "ms", ("", filtered), ref, None, "< 50 ms",
                   filtered < 50),
            Figure("history: `history rebuild` from the reports", n, "s", ("", w.rebuild_s),
                   None, None, "", None),
            Figure("history: idle run recording into the history (and its dashboard)", n, "ms",
                   ("", idle), ref, None, "<= 15 ms", idle <= 15),
            Figure(f"history: `dashboard --out` ({page_kib:.0f} KiB page)", n, "ms", ("", page),
                   ref, None, "page < 1 MiB", page_kib < 1024)]


def machine():
    cpu = "unknown CPU"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                   if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores, {cpu}, Linux {platform.release()}"


def build_limits(a):
    """The C limit programs, built static (as the runner's release build is) into the build."""
    out = os.path.join(os.path.abspath(a.build), "bench")
    os.makedirs(out, exist_ok=True)
    a.limits = {}
    for name in LIMITS:
        exe = os.path.join(out, name)
        src = os.path.join(HERE, name + ".c")
        if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
            subprocess.run(["cc", "-O2", "-static", "-o", exe, src], check=True)
        a.limits[name] = exe


def windowed_stage(every, zone, start, lag, most):
    return (f"  - name: w\n    command: [/bin/true, \"${{window.id}}\"]\n"
            f"    windows: {{every: {every}, start: \"{start}\", timezone: {zone}, lag: {lag}, "
            f"max_per_run: {most}}}\n")


def bench_windows(a, figs):
    """Time windows (SPEC 11): an idle run of a windowed stage on UTC and on a named zone, and
    the cost of one window (a state store write before and after it) beside a plain spawn."""
    day_ago = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 2 * 86400))
    plain = Workspace(a.runner, a.misbehave, "windows-plain")
    plain.config('  - name: w\n    command: [/bin/true]\n    when: {files: "${paths.raw}/*.csv"}\n')
    checked(plain.run_argv())
    sides = {"plain": lambda: checked(plain.run_argv())}
    spaces = []
    for zone in ("UTC", "America/New_York"):
        w = Workspace(a.runner, a.misbehave, "windows-idle")
        # 1d windows from two days ago with a 3d lag: none is ever due, the store is read.
        w.config(windowed_stage("1d", zone, day_ago, "3d", 10))
        checked(w.run_argv())
        sides["ours-" + zone] = (lambda ws: lambda: checked(ws.run_argv()))(w)
        spaces.append(w)
    m = paired(sides, a.runs)
    for w in spaces + [plain]:
        w.close()
    utc, ny, ref = (m["ours-UTC"] * 1000, m["ours-America/New_York"] * 1000, m["plain"] * 1000)
    figs.append(Figure("idle run, a windowed stage on UTC (no window due)", "", "ms", ("", utc),
                       ("the stage without windows, idle", ref), None,
                       "<= +2 ms (the state store read)", utc <= ref + 2.0))
    figs.append(Figure("idle run, the same on America/New_York", "", "ms", ("", ny),
                       ("the UTC run", utc), None, "<= UTC + 3 ms (the zone database)",
                       ny <= utc + 3.0))
    # 96 windows of 15 minutes (yesterday), each /bin/true, reset before every round.
    w = Workspace(a.runner, a.misbehave, "windows-run")
    size = 96
    w.config(windowed_stage("15m", "UTC", day_ago, "0s", size))
    base = Workspace(a.runner, a.misbehave, "windows-none")
    base.config(windowed_stage("1d", "UTC", day_ago, "3d", 10))
    checked(w.run_argv())
    checked(base.run_argv())
    reset = [a.runner, "windows", "reset", "-c", w.cfg, "--stage", "w", "--from", day_ago]
    ours, limit = per_unit_vs_spawn(a, w, base, size, max(6, a.runs // 4),
                                    setup=lambda: checked(reset))
    report = w.latest_report()
    assert report["windows"][0]["ran"] == size, "the timed run did not run every window"
    figs.append(Figure("per-window overhead, per window", f"{size} x `/bin/true`", "ms",
                       ("", ours), None, ("`limit_spawn`", limit),
                       "<= 3x limit (two synced store writes a window)", ours <= 3 * limit))
    w.close()
    base.close()


def per_unit_vs_spawn(a, w, base, size, rounds, setup=None):
    """ms per unit of work: (a run of w - a run of base) / size, beside limit_spawn starting
    /bin/true size times with its logs (minus starting it none), runs paired."""
    logs = w.path("limit-logs")
    os.makedirs(logs)
    spawn = a.limits["limit_spawn"]
    m = paired({"ours": lambda: checked(w.run_argv()),
                "ours-idle": lambda: checked(base.run_argv()),
                "limit": lambda: checked([spawn, str(size), logs, "/bin/true"]),
                "limit-none": lambda: checked([spawn, "0", logs, "/bin/true"])},
               rounds, setup=setup)
    return ((m["ours"] - m["ours-idle"]) * 1000 / size,
            (m["limit"] - m["limit-none"]) * 1000 / size)


def foreach_stage(program, workers):
    extra = f"parallel: {workers}\n" if workers > 1 else ""
    return extra, (f'  - name: each\n    command: [{program}, "${{input}}"]\n'
                   '    when: {files: "${paths.raw}/*.csv"}\n    foreach: input\n'
                   f'    workers: {workers}\n')


def bench_foreach(a, figs):
    """The cost of one item of a `foreach: input` stage: (N inputs - no input) / N, beside
    limit_spawn starting the same program N times with its logs; one item at a time, then
    two (`workers: 2`)."""
    size = 1000
    for workers in (1, 2):
        extra, stage = foreach_stage("/bin/true", workers)
        w = Workspace(a.runner, a.misbehave, "foreach")
        w.config(stage, extra)
        w.make_files("raw", size)
        base = Workspace(a.runner, a.misbehave, "foreach-none")
        base.config(stage, extra)
        checked(w.run_argv())
        assert len(w.latest_report()["stages"]) == size, "the timed run did not run every item"
        checked(base.run_argv())
        ours, limit = per_unit_vs_spawn(a, w, base, size, max(4, a.runs // 5))
        figs.append(Figure(f"per-item overhead (foreach: input, workers: {workers}), per item",
                           f"{size} inputs", "ms", ("", ours), None, ("`limit_spawn`", limit),
                           "<= 1.5x limit", ours <= 1.5 * limit))
        w.close()
        base.close()


def bench_parallel(a, figs):
    """SPEC 12: four stages of 0.5 s CPU with `parallel: 2` beside `parallel: 1` and beside
    xargs -P 2 running the same four; then the runner's peak memory with 100 processes in
    flight beside 1 in flight."""
    spin = f'["{a.misbehave}", "--spin", "500"]'
    four = "".join(f"  - name: cpu{i}\n    command: {spin}\n" for i in range(4))
    sides = {}
    spaces = []
    for n in (1, 2):
        w = Workspace(a.runner, a.misbehave, f"parallel{n}")
        w.config(four, f"parallel: {n}\n")
        checked(w.run_argv())
        sides[f"ours-{n}"] = (lambda ws: lambda: checked(ws.run_argv()))(w)
        spaces.append(w)
    xargs = ["sh", "-c", f'printf "1\\n2\\n3\\n4\\n" | xargs -P 2 -I{{}} "{a.misbehave}" '
             '--spin 500']
    sides["limit"] = lambda: checked(xargs)
    m = paired(sides, max(4, a.runs // 6))
    figs.append(Figure("4 stages of 0.5 s CPU, `parallel: 2`", f"{os.cpu_count()} cores", "s",
                       ("", m["ours-2"]), ("`parallel: 1`", m["ours-1"]),
                       ("`xargs -P 2`", m["limit"]), "ref / ours >= 1.8 (about 2x)",
                       m["ours-1"] / m["ours-2"] >= 1.8))
    for w in spaces:
        w.close()

    peaks = {}
    for inputs in (1, 100):
        extra, stage = foreach_stage('/bin/sh, -c, "sleep 0.5", sh', 100)
        w = Workspace(a.runner, a.misbehave, "inflight")
        w.config(stage, extra)
        w.make_files("raw", inputs)  # no lifecycle: every run takes the same inputs
        peaks[inputs] = statistics.median(
            own_peak_rss(w.run_argv()) for _ in range(max(3, a.runs // 10))) / 1024
        items = w.latest_report()["stages"]
        assert len(items) == inputs
        first_end = min(s["attempts"][0]["finished_at"] for s in items)
        assert all(s["attempts"][0]["started_at"] < first_end for s in items), \
            "the items did not all run at once"
        w.close()
    figs.append(Figure("the runner's peak RSS, 100 processes in flight",
                       "100 inputs, `workers: 100`", "MiB", ("", peaks[100]),
                       ("1 in flight", peaks[1]), None, "<= 2x 1 in flight",
                       peaks[100] <= 2 * peaks[1]))


GROUPS = {"idle": bench_idle, "stages": bench_per_stage, "streaming": bench_streaming,
          "termination": bench_termination, "decision": bench_decision,
          "lifecycle": bench_lifecycle, "history": bench_history, "windows": bench_windows,
          "foreach": bench_foreach, "parallel": bench_parallel}


def table(figs):
    head = ["figure", "size", "ours", "reference", "limit", "ours / reference", "ours / limit",
            "growth", "target", "met"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    lines += ["| " + " | ".join(f.cells()) + " |" for f in figs]
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default="build")
    p.add_argument("--out", default="BENCHMARKS.md")
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--stream-mib", type=int, default=1024)
    p.add_argument("--scale-files", type=int, default=100_000)
    p.add_argument("--history-runs", type=int, default=35_000)
    p.add_argument("--only", choices=list(GROUPS),
                   help="run one group and print it (BENCHMARKS.md is left as it is)")
    p.add_argument("--compose", action="store_true",
                   help="measure nothing: rewrite BENCHMARKS.md from the last run's figures "
                        "and the current findings.md")
    a = p.parse_args()
    a.figures = os.path.join(os.path.abspath(a.build), "bench", "figures.md")
    if a.compose:
        compose(a)
        return
    a.runner = os.path.abspath(os.path.join(a.build, "apps/pipeline_runner/pipeline_runner"))
    a.misbehave = os.path.abspath(os.path.join(a.build, "tools/misbehave/misbehave"))
    if not os.path.exists(a.misbehave):
        subprocess.run(["cmake", "--build", a.build, "--target", "misbehave"], check=True)
    build_limits(a)
    figs = []
    for name in [a.only] if a.only else list(GROUPS):
        GROUPS[name](a, figs)
    text = table(figs)
    print(text)
    print(f"noise: the references and limits varied by {NOISE} "
          "(interquartile range over median)")
    if a.only:
        return
    doc = (f"# Benchmarks\n\nMachine: {machine()}.\n"
           f"Made by `bash tools/bench/run.sh` on {time.strftime('%Y-%m-%d')} (release build). "
           "Each row's sides ran alternately, rotating the order every round, and the figures "
           f"are their medians ({a.runs} rounds for the small figures, fewer for the large "
           "ones). The reference is a common tool doing the same job; the limit is a small "
           "static C program in `tools/bench/` doing only what the job cannot skip. Growth "
           "compares the larger size with the smaller one. Noise: the references and limits "
           f"varied by {NOISE} from round to round (interquartile range over median), so "
           "differences smaller than that mean nothing.\n\n" + text)
    with open(a.figures, "w") as f:
        f.write(doc)
    compose(a)


def compose(a):
    """BENCHMARKS.md: the last run's figures, then what they mean (findings.md, kept beside the
    script and written by people)."""
    doc = open(a.figures).read()
    findings = os.path.join(HERE, "findings.md")
    if os.path.exists(findings):
        doc += "\n" + open(findings).read()
    with open(a.out, "w") as f:
        f.write(doc)


if __name__ == "__main__":
    main()
