#!/usr/bin/env python3
"""Checks the layering of libpipeline/ from its #include lines (ARCHITECTURE.md).

Each folder of libpipeline/ is a layer and may include only the layers listed for it below:
core, batches and records never see platform or supervise; nothing but app includes app;
util includes nothing of ours but util. Only platform/ may include an OS header or test
_WIN32, and its platform-specific files end in _posix, _linux or _win32. Exits 1 and prints
each offending line as FILE:LINE: message when a rule is broken.
"""
import pathlib
import re
import sys

ALLOWED = {
    "util": {"util"},
    "config": {"util", "config"},
    "ports": {"util", "ports"},
    "records": {"util", "config", "ports", "records"},
    "batches": {"util", "config", "ports", "records", "batches"},
    "core": {"util", "config", "ports", "records", "batches", "core"},
    "notify": {"util", "config", "ports", "records", "notify"},
    "platform": {"util", "ports", "platform"},
    "supervise": {"util", "ports", "platform", "supervise"},
    "app": {"util", "config", "ports", "records", "batches", "core", "notify", "app"},
}
OURS = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
SYSTEM = re.compile(r"^\s*#\s*include\s+<(unistd\.h|windows\.h|sys/[^>]+|fcntl\.h|signal\.h|"
                    r"csignal|poll\.h|dlfcn\.h|dirent\.h|spawn\.h|io\.h|process\.h|pwd\.h|direct\.h)>")
PLATFORM_TEST = re.compile(r"^\s*#\s*(if|ifdef|ifndef|elif)\b.*\b(_WIN32|__linux__|__unix__|_MSC_VER)\b")
SUFFIX = re.compile(r"_(posix|linux|win32)\.(cpp|hpp)$")


def check(root: pathlib.Path) -> list[str]:
    problems = []
    lib = root / "libpipeline"
    for path in sorted(lib.rglob("*.[ch]pp")):
        rel = path.relative_to(lib)
        if len(rel.parts) < 2:
            problems.append(f"{path}:1: a source file outside a layer folder")
            continue
        layer = rel.parts[0]
        if layer not in ALLOWED:
            problems.append(f"{path}:1: unknown layer folder '{layer}'")
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{path}:{number}"
            m = OURS.match(line)
            if m:
                target = m.group(1)
                if "/" not in target:
                    problems.append(f"{where}: include names no folder: {target}")
                elif target.split("/")[0] not in ALLOWED[layer]:
                    problems.append(f"{where}: {layer}/ may not include {target}")
            if layer != "platform" and SYSTEM.match(line):
                problems.append(f"{where}: OS header outside platform/: {line.strip()}")
            if PLATFORM_TEST.match(line) and not (layer == "platform" and SUFFIX.search(path.name)):
                problems.append(f"{where}: platform test outside a _posix/_linux/_win32 file")
    return problems


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent.parent)
    problems = check(root)
    for p in problems:
        print(p)
    if problems:
        print(f"check_layers: {len(problems)} problem(s); the rules are in tools/check_layers.py")
        return 1
    print("check_layers: the include lines keep the layers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
