"""Cold-start import cost of the app: `python -X importtime -c "import app"`.

    .venv/bin/python bench/import_time.py [--runs 5]

Prints the cumulative import time of `app` (what a Lambda cold start pays
before the first request), the ten slowest modules by their own (self) time,
and a floor measured the same way in the same run: `import json`, and the ratio.
Each figure is the median of --runs fresh interpreters.
"""
import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
# "import time:      self [us] |    cumulative | imported package"
LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S.*)$")


def importtime(statement: str):
    """[(module, self µs, cumulative µs, depth)] for one fresh interpreter."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", statement],
                            cwd=str(PROJECT_DIR), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{statement!r} failed:\n{result.stderr[-2000:]}")
    rows = []
    for line in result.stderr.splitlines():
        match = LINE.match(line)
        if match:
            self_us, cumulative_us, indent, name = match.groups()
            rows.append((name.strip(), int(self_us), int(cumulative_us), (len(indent) - 1) // 2))
    return rows


def top_level(rows, module: str) -> int:
    """Cumulative µs of `module` imported at the top level of the statement."""
    for name, _self, cumulative, depth in rows:
        if name == module and depth == 0:
            return cumulative
    return 0  # already imported by the interpreter's start-up (e.g. a site hook)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh interpreters per figure")
    args = parser.parse_args(argv)

    app_totals, json_totals, app_runs = [], [], []
    for _ in range(args.runs):
        rows = importtime("import app")
        app_runs.append(rows)
        app_totals.append(top_level(rows, "app"))
        json_totals.append(top_level(importtime("import json"), "json"))

    app_ms = statistics.median(app_totals) / 1000
    json_ms = statistics.median(json_totals) / 1000
    # Slowest modules by self time, median over the runs.
    self_times = {}
    cumulative = {}
    for rows in app_runs:
        for name, self_us, cumulative_us, _depth in rows:
            self_times.setdefault(name, []).append(self_us)
            cumulative.setdefault(name, []).append(cumulative_us)
    slowest = sorted(self_times, key=lambda n: statistics.median(self_times[n]), reverse=True)[:10]
    module_count = len(app_runs[0])
    # Own time summed per top-level package (botocore, pynamodb, jinja2, ...).
    packages = {}
    for rows in app_runs:
        sums = {}
        for name, self_us, _cumulative, _depth in rows:
            root = name.split(".")[0]
            sums[root] = sums.get(root, 0) + self_us
        for root, total in sums.items():
            packages.setdefault(root, []).append(total)
    heaviest = sorted(packages, key=lambda n: statistics.median(packages[n]), reverse=True)[:10]

    print(f"Python {sys.version.split()[0]} ({sys.executable})")
    print(f"runs: {args.runs} fresh interpreters each, medians shown")
    print()
    print(f"import app     {app_ms:9.1f} ms cumulative  ({module_count} modules imported)")
    print(f"import json    {json_ms:9.1f} ms cumulative  (floor, same run)")
    print(f"ratio          {app_ms / json_ms:9.0f} x" if json_ms else "ratio          n/a")
    print(f"app runs (ms): {', '.join(f'{t / 1000:.1f}' for t in app_totals)}")
    print()
    print("10 slowest modules imported by `import app` (own time, median)")
    print(f"{'self ms':>8}  {'cumul. ms':>9}  module")
    for name in slowest:
        print(f"{statistics.median(self_times[name]) / 1000:8.1f}  "
              f"{statistics.median(cumulative[name]) / 1000:9.1f}  {name}")
    print()
    print("10 heaviest top-level packages (own time of all their modules, median)")
    print(f"{'ms':>8}  {'share':>5}  package")
    for root in heaviest:
        total = statistics.median(packages[root]) / 1000
        print(f"{total:8.1f}  {total / app_ms:5.0%}  {root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
