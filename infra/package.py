"""Build the deployment package of a stage: Chalice's package plus templates/ and static/.

    python -m infra.package --stage prod --out build/prod

Chalice deploys only app.py, chalicelib/ and vendor/ (DESIGN §2), but
chalicelib/templating.py reads templates/ and static/ next to chalicelib/, which
in Lambda is the root of the zip.  So this:

1. writes `<out>/resources.json`: the stage's parameters, tables, buckets,
   CloudFront, SES and SNS resources and alarms from
   `infra.resources.cloudformation(<the stage's table prefix>, <stage>)`;
2. runs `chalice package --stage <stage> --merge-template <out>/resources.json <out>`
   (CloudFormation/SAM format: `<out>/sam.json` and `<out>/deployment.zip`);
3. completes `<out>/sam.json` with each function's own role, environment, log
   group, alarms and SNS topic (`infra.functions.complete`);
4. appends every file under templates/ and static/ to `<out>/deployment.zip`
   at the same relative paths.

tests/test_packaging.py builds a package, renders a page from the extracted zip
and runs cfn-lint on the template.
"""
import argparse
import filecmp
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
BUNDLED_DIRS = ("templates", "static")
DEFAULT_TABLE_PREFIX = "portal-"
# What Chalice and this step write into <out>; removed first so nothing stale survives.
OUTPUTS = ("resources.json", "sam.json", "sam.yaml", "deployment.zip", "layer-deployment.zip")
# Chalice writes this and carries on when it cannot find a Lambda-compatible wheel.
MISSING_DEPENDENCIES = "Could not install dependencies"
# Fixed timestamp and world-readable mode (Lambda runs as a non-root user), like Chalice's own entries.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
ZIP_MODE = 0o644
# Chalice caches one ~19 MB zip per hash of requirements + app code in .chalice/deployments
# and never deletes any; every edit to chalicelib/ adds one.  Older ones are pruned.
CACHED_PACKAGE = re.compile(r"^[0-9a-f]{32}-python\d+\.\d+(-arm64)?\.zip$")
CACHE_MAX_AGE_SECONDS = 3600


class PackagingError(RuntimeError):
    pass


def stage_environment(stage: str, project_dir: Path = PROJECT_DIR) -> dict:
    """The Lambda environment Chalice gives a stage (top level, then the stage's own)."""
    config = json.loads((project_dir / ".chalice" / "config.json").read_text(encoding="utf-8"))
    stages = config.get("stages", {})
    if stage not in stages:
        raise PackagingError(f"unknown stage {stage!r}; .chalice/config.json has {sorted(stages)}")
    return {**config.get("environment_variables", {}),
            **stages[stage].get("environment_variables", {})}


def table_prefix(stage: str, project_dir: Path = PROJECT_DIR) -> str:
    return stage_environment(stage, project_dir).get("PORTAL_TABLE_PREFIX", DEFAULT_TABLE_PREFIX)


def resources_template(prefix: str, stage: str = "prod", project_dir: Path = PROJECT_DIR) -> dict:
    """`infra.resources.cloudformation(prefix, stage)`, computed in a clean interpreter.

    The models read PORTAL_TABLE_PREFIX when their classes are defined and
    infra.resources swaps the default prefix for `prefix`, so a prefix already in
    this process's environment (or models imported with one) would be applied
    twice ("portal-prod-prod-companies").  A child without that variable avoids it.
    """
    env = {k: v for k, v in os.environ.items() if k != "PORTAL_TABLE_PREFIX"}
    code = ("import json, sys; from infra.resources import cloudformation; "
            "json.dump(cloudformation(sys.argv[1], sys.argv[2]), sys.stdout)")
    result = subprocess.run([sys.executable, "-c", code, prefix, stage], cwd=project_dir, env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise PackagingError(f"infra.resources failed:\n{result.stderr}")
    return json.loads(result.stdout)


def chalice_command() -> list:
    """The chalice CLI of this interpreter (`python -m chalice` does not exist)."""
    script = Path(sys.executable).parent / "chalice"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from chalice.cli import main; sys.exit(main())"]


def complete_template(sam_path: Path, stage: str, project_dir: Path = PROJECT_DIR) -> None:
    """Give each function of Chalice's template its role, environment, logs and alarms."""
    from infra.functions import TemplateError, complete

    template = json.loads(sam_path.read_text(encoding="utf-8"))
    try:
        complete(template, stage, stage_environment(stage, project_dir))
    except TemplateError as error:
        raise PackagingError(str(error)) from None
    sam_path.write_text(json.dumps(template, indent=2) + "\n", encoding="utf-8")


def run_chalice_package(stage: str, merge_template: Path, out_dir: Path,
                        project_dir: Path = PROJECT_DIR) -> str:
    env = dict(os.environ)
    # Chalice refuses to start without a region; the template itself uses ${AWS::Region}.
    if not (env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")):
        env["AWS_DEFAULT_REGION"] = "us-east-1"
    command = chalice_command() + ["package", "--pkg-format", "cloudformation",
                                   "--stage", stage, "--merge-template", str(merge_template),
                                   str(out_dir)]
    process = subprocess.Popen(command, cwd=project_dir, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = []
    for line in process.stdout:  # stream: downloading wheels can take a minute
        lines.append(line)
        sys.stdout.write(line)
    sys.stdout.flush()
    output = "".join(lines)
    if process.wait() != 0:
        raise PackagingError(f"chalice package failed ({process.returncode}):\n{output}")
    if MISSING_DEPENDENCIES in output:
        raise PackagingError(f"chalice could not bundle every requirement:\n{output}")
    return output


def _cached_packages(project_dir: Path):
    cache = project_dir / ".chalice" / "deployments"
    return [p for p in cache.iterdir() if CACHED_PACKAGE.match(p.name)] if cache.is_dir() else []


def mark_cache_used(chalice_zip: Path, project_dir: Path = PROJECT_DIR) -> None:
    """Touch the cached package Chalice copied to `chalice_zip` (reusing one does not)."""
    size = chalice_zip.stat().st_size
    for path in _cached_packages(project_dir):
        if path.stat().st_size == size and filecmp.cmp(path, chalice_zip, shallow=False):
            os.utime(path)


def prune_chalice_cache(project_dir: Path = PROJECT_DIR, max_age: float = CACHE_MAX_AGE_SECONDS) -> int:
    """Delete Chalice's cached packages unused for an hour (a concurrent build may use a newer one)."""
    removed = 0
    cutoff = time.time() - max_age
    for path in _cached_packages(project_dir):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def bundled_files(project_dir: Path = PROJECT_DIR):
    """(path, name in the zip) for templates/ and static/, skipping dotfiles and caches."""
    for top in BUNDLED_DIRS:
        root = project_dir / top
        if not root.is_dir():
            raise PackagingError(f"{root} is missing")
        for path in sorted(root.rglob("*")):
            parts = path.relative_to(project_dir).parts
            if path.is_file() and not any(p.startswith(".") or p == "__pycache__" for p in parts):
                yield path, "/".join(parts)


def add_bundled_files(zip_path: Path, project_dir: Path = PROJECT_DIR) -> int:
    added = 0
    with zipfile.ZipFile(zip_path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        existing = set(archive.namelist())
        for path, name in bundled_files(project_dir):
            if name in existing:
                raise PackagingError(f"{name} is already in {zip_path}")
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o100000 | ZIP_MODE) << 16  # regular file, rw-r--r--
            archive.writestr(info, path.read_bytes())
            added += 1
    return added


def build(stage: str, out_dir, *, project_dir: Path = PROJECT_DIR) -> Path:
    """Package `stage` into `out_dir` (sam.json, deployment.zip, resources.json); returns out_dir."""
    project_dir = Path(project_dir).resolve()
    out_dir = Path(out_dir).resolve()  # chalice runs in project_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in OUTPUTS:
        (out_dir / name).unlink(missing_ok=True)

    resources = out_dir / "resources.json"
    template = resources_template(table_prefix(stage, project_dir), stage, project_dir)
    resources.write_text(json.dumps(template, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    run_chalice_package(stage, resources, out_dir, project_dir)
    zip_path = out_dir / "deployment.zip"
    if not zip_path.is_file() or not (out_dir / "sam.json").is_file():
        raise PackagingError(f"chalice package did not write sam.json and deployment.zip to {out_dir}")
    complete_template(out_dir / "sam.json", stage, project_dir)
    mark_cache_used(zip_path, project_dir)
    add_bundled_files(zip_path, project_dir)
    prune_chalice_cache(project_dir)
    return out_dir


def summary(out_dir: Path, project_dir: Path = PROJECT_DIR) -> str:
    zip_path = out_dir / "deployment.zip"
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
    added = sum(1 for name in names if name.split("/", 1)[0] in BUNDLED_DIRS)
    resources = json.loads((out_dir / "resources.json").read_text(encoding="utf-8"))["Resources"]
    # APIHandler is only a fragment (environment) deep-merged into Chalice's function.
    tables = sum(1 for r in resources.values() if r.get("Type") == "AWS::DynamoDB::Table")
    try:
        shown = out_dir.relative_to(project_dir)
    except ValueError:
        shown = out_dir
    return (f"{shown}/deployment.zip: {zip_path.stat().st_size / 1e6:.1f} MB, {len(names)} files "
            f"({added} added from {' and '.join(d + '/' for d in BUNDLED_DIRS)}); "
            f"{shown}/sam.json with {tables} tables and {len(resources) - tables} other "
            f"resources merged from {shown}/resources.json")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True, help="a stage of .chalice/config.json")
    parser.add_argument("--out", required=True, help="output directory, e.g. build/prod")
    args = parser.parse_args(argv)
    try:
        out_dir = build(args.stage, args.out)
    except PackagingError as error:
        print(f"packaging failed: {error}", file=sys.stderr)
        return 1
    print(summary(out_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
