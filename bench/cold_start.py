"""Cold start of the deployment package: `import app` against the framework floor.

    .venv/bin/python bench/cold_start.py [--zip build/prod/deployment.zip] [--runs 7] [--app STATEMENT]

Unzips the package (`make package`; built here when missing) and the web function's
passkeys layer next to it, then, alternately, in fresh isolated interpreters
(`python -I -S -B`, the unzipped package the only entry added to sys.path, the prod stage's
environment as Lambda sets it) times
- the floor: `import chalice, jinja2, pynamodb.models` (what any Chalice/PynamoDB
  app on Lambda pays), and
- `import app` (Lambda's handler `app.app`), with the layer's python/ after the package on
  sys.path, in Lambda's order,
both from the package's own files and pycs.  Prints each median (CPU time of the
import, and wall time), the CPU-time ratio (target <= 1.3), the zip's size (target <= 15 MB) and the heaviest modules `import app`
adds over the floor.  Exit status 1 when a target is missed.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

from infra.package import LAYER_DIR, LAYER_ZIP, stage_environment  # noqa: E402

FLOOR = "import chalice, jinja2, pynamodb.models"
APP = "import app"
RATIO_TARGET = 1.3
ZIP_TARGET_MB = 15.0

# Runs in the child: only the package on sys.path, then one timed statement.
TIMER = """
import sys, time
sys.path.insert(0, sys.argv[1])
if sys.argv[3]:
    sys.path.insert(1, sys.argv[3])
started, cpu_started = time.perf_counter(), time.process_time()
exec(sys.argv[2])
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
outside = sorted(name for name, module in list(sys.modules.items())
                 if (getattr(module, "__file__", None) or "").endswith(".py")
                 and not module.__file__.startswith((sys.argv[1], sys.argv[3] or sys.argv[1]))
                 and not module.__file__.startswith(sys.base_prefix))
import json
print(json.dumps({"seconds": seconds, "cpu": cpu, "modules": sorted(sys.modules), "outside": outside}))
"""


def lambda_environment(stage: str) -> dict:
    env = {key: os.environ[key] for key in ("PATH", "LANG") if key in os.environ}
    env.update(stage_environment(stage))
    env.update({"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_LAMBDA_FUNCTION_NAME": "bench", "AWS_ACCESS_KEY_ID": "bench",
                "AWS_SECRET_ACCESS_KEY": "bench"})
    return env


def timed(package: Path, statement: str, env: dict, layer: Path | None) -> dict:
    # -B: nothing is written next to the package, as on Lambda's read-only /var/task.
    result = subprocess.run([sys.executable, "-I", "-S", "-B", "-c", TIMER, str(package), statement, str(layer or "")],
                            cwd=str(package), env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{statement!r} failed:\n{result.stderr[-3000:]}")
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    if answer["outside"]:
        raise RuntimeError(f"{statement!r} imported from outside the package: {answer['outside']}")
    return answer


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zip", default=str(PROJECT_DIR / "build" / "prod" / "deployment.zip"))
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--runs", type=int, default=7)
    # e.g. "import app; ..." plus what the first request loads, to count what import defers
    parser.add_argument("--app", default=APP, help=f"statement timed against the floor (default {APP!r})")
    args = parser.parse_args(argv)
    zip_path = Path(args.zip)
    if not zip_path.is_file() or not (zip_path.parent / LAYER_ZIP).is_file():  # a fresh clone: build (a minute)
        from infra.package import build

        print(f"{zip_path} is missing: building the {args.stage} package", file=sys.stderr)
        build(args.stage, zip_path.parent)
    size_mb = zip_path.stat().st_size / 1e6
    env = lambda_environment(args.stage)
    layer_zip = zip_path.parent / LAYER_ZIP
    with tempfile.TemporaryDirectory() as scratch:
        package, opt = Path(scratch).resolve() / "task", Path(scratch).resolve() / "opt"
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(package)
        with zipfile.ZipFile(layer_zip) as archive:
            archive.extractall(opt)
        layer = opt / LAYER_DIR
        pycs = sum(1 for _ in package.rglob("*.pyc"))
        timed(package, args.app, env, layer)  # the first run pays for the page cache, not the import
        floor, app = [], []
        for _ in range(args.runs):  # alternated, so a noisy moment hits both
            # The floor without the layer: with pyOpenSSL importable, botocore (under pynamodb)
            # imports OpenSSL and cryptography, which a plain Chalice/PynamoDB app does not pay;
            # the app is timed as deployed, with it (chalicelib/__init__.py avoids that import).
            floor.append(timed(package, FLOOR, env, None))
            app.append(timed(package, args.app, env, layer))
    floor_s = statistics.median(r["seconds"] for r in floor)
    app_s = statistics.median(r["seconds"] for r in app)
    floor_cpu = statistics.median(r["cpu"] for r in floor)
    app_cpu = statistics.median(r["cpu"] for r in app)
    # CPU time is the figure judged: on a shared machine the wall clock also counts the
    # time other processes held the CPU (Lambda gives the function its own share).
    ratio = app_cpu / floor_cpu
    extra = sorted(set(app[0]["modules"]) - set(floor[0]["modules"]))
    extra_top = sorted({name.split(".")[0] for name in extra})
    print(f"package: {zip_path} {size_mb:.2f} MB (target <= {ZIP_TARGET_MB:.0f} MB), "
          f"{pycs} pycs; layer {layer_zip.name} {layer_zip.stat().st_size / 1e6:.2f} MB; Python {sys.version.split()[0]} -I -S -B, median of {args.runs} runs")
    print(f"floor  {FLOOR!r}: {floor_cpu * 1000:7.1f} ms CPU, {floor_s * 1000:7.1f} ms wall")
    print(f"app    {args.app!r}: {app_cpu * 1000:7.1f} ms CPU, {app_s * 1000:7.1f} ms wall")
    print(f"ratio  {ratio:.2f} CPU (target <= {RATIO_TARGET}), {app_s / floor_s:.2f} wall")
    print(f"`import app` adds {len(extra)} modules over the floor, from: {', '.join(extra_top)}")
    return 0 if ratio <= RATIO_TARGET and size_mb <= ZIP_TARGET_MB else 1


if __name__ == "__main__":
    raise SystemExit(main())
