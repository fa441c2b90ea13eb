#!/usr/bin/env python3
"""Shows that tools/check_layers.py fails on each kind of broken rule, on small made-up trees."""
import pathlib
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import check_layers  # noqa: E402

CASES = {
    "core/a.cpp": ('#include "platform/real_file_system.hpp"\n', "core/ may not include platform/"),
    "records/b.hpp": ('#include "supervise/x.hpp"\n', "records/ may not include supervise/"),
    "util/c.cpp": ('#include "config/config.hpp"\n', "util/ may not include config/"),
    "core/d.cpp": ('#include "app/cli.hpp"\n', "core/ may not include app/"),
    "batches/e.cpp": ('#include "core/glob.hpp"\n', "batches/ may not include core/"),
    "core/f.cpp": ('#include "glob.hpp"\n', "include names no folder"),
    "core/g.cpp": ("#include <unistd.h>\n", "OS header outside platform/"),
    "platform/h.cpp": ("#ifdef _WIN32\n#endif\n", "platform test outside"),
    "i.cpp": ("\n", "outside a layer folder"),
}
GOOD = {
    "core/ok.cpp": '#include "records/run_report.hpp"\n#include "util/error.hpp"\n',
    "platform/ok_posix.cpp": "#include <unistd.h>\n#ifdef __linux__\n#endif\n",
    "app/ok.cpp": '#include "core/orchestrator.hpp"\n',
}


def tree(files: dict[str, str]) -> pathlib.Path:
    root = pathlib.Path(tempfile.mkdtemp())
    for rel, text in files.items():
        path = root / "libpipeline" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def main() -> int:
    failed = 0
    if check_layers.check(tree(GOOD)):
        print("FAIL: a tree that keeps the rules was refused")
        failed += 1
    for rel, (text, expected) in CASES.items():
        problems = check_layers.check(tree({rel: text}))
        if not any(expected in p for p in problems):
            print(f"FAIL: {rel} with {text!r} should be refused ({expected}); got {problems}")
            failed += 1
    print(f"check_layers_test: {len(CASES) + 1 - failed} of {len(CASES) + 1} cases as expected")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
