"""Build the deployment package of a stage: Chalice's package plus templates/ and static/.

    python -m infra.package --stage prod --out build/prod

Chalice deploys only app.py, chalicelib/ and vendor/ (Chalice's packager), but
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
   at the same relative paths;
5. makes the zip one Lambda's python3.11 can load and start fast
   (`finish_lambda_package`): refuses wheels and shared objects the runtime cannot
   load, leaves out what the app never imports, adds unchecked-hash pycs;
6. moves the passkey libraries (`LAYER_DISTRIBUTIONS`) out of that zip into
   `<out>/passkeys-layer.zip` under `python/`, the web function's Lambda layer
   (declared by `infra.functions.complete`; README "The Lambda package").

tests/integration/test_packaging.py builds a package, renders a page from the extracted zip
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
OUTPUTS = ("resources.json", "sam.json", "sam.yaml", "deployment.zip", "layer-deployment.zip", "passkeys-layer.zip")
LAYER_ZIP = "passkeys-layer.zip"
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
    return {**config.get("environment_variables", {}), **stages[stage].get("environment_variables", {})}


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
    code = (
        "import json, sys; from infra.resources import cloudformation; "
        "json.dump(cloudformation(sys.argv[1], sys.argv[2]), sys.stdout)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, prefix, stage], cwd=project_dir, env=env, capture_output=True, text=True
    )
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


def run_chalice_package(stage: str, merge_template: Path, out_dir: Path, project_dir: Path = PROJECT_DIR) -> str:
    env = dict(os.environ)
    # Chalice refuses to start without a region; the template itself uses ${AWS::Region}.
    if not (env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")):
        env["AWS_DEFAULT_REGION"] = "us-east-1"
    command = chalice_command() + [
        "package",
        "--pkg-format",
        "cloudformation",
        "--stage",
        stage,
        "--merge-template",
        str(merge_template),
        str(out_dir),
    ]
    process = subprocess.Popen(
        command, cwd=project_dir, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    lines = []
    for line in process.stdout or ():  # stream: downloading wheels can take a minute
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


# --- Lambda compatibility, trimming and .pyc (README "The Lambda package") ------------------
#
# The runtime is python3.11 on Amazon Linux 2: `.pyc` files must be compiled by the runtime's
# own Python version, and this build machine has 3.11.  AL2's glibc is 2.26.
LAMBDA_RUNTIME = "python3.11"
RUNTIME_PYTHON = (3, 11)
RUNTIME_GLIBC = (2, 26)
# Shared libraries Lambda's python3.11 image has in /lib64 (the manylinux policy's core set,
# without X11/GL).  Anything else a .so needs must be in the zip (a wheel's `<name>.libs/`).
RUNTIME_LIBRARIES = frozenset(
    {
        "libc.so.6",
        "libm.so.6",
        "libdl.so.2",
        "librt.so.1",
        "libpthread.so.0",
        "libutil.so.1",
        "libresolv.so.2",
        "libnsl.so.1",
        "libcrypt.so.1",
        "libgcc_s.so.1",
        "libstdc++.so.6",
        "libz.so.1",
        "ld-linux-x86-64.so.2",
    }
)
# botocore ships the models of ~450 services (28 MB); the app's clients need these
# (PynamoDB: dynamodb; chalicelib/aws.py: the rest).  A client of any other service
# would fail with UnknownServiceError, so `check_client_services` refuses the package
# when the code names one that is not kept.
BOTOCORE_SERVICES = frozenset(
    {
        "dynamodb",
        "s3",
        "ses",
        "sesv2",
        "sqs",
        "sns",
        "secretsmanager",
        "sts",
        "acm",
        "apigateway",
    }
)
# fpdf2 imports fontTools' ttLib, subset, varLib, pens, svgLib (and what they import); never
# these.  fontTools' Cython accelerators (.so, with their .c sources) are optional: each has
# a pure-Python twin that fontTools falls back to, and our PDFs use the core Helvetica font,
# so fontTools only has to import.
FONTTOOLS_UNUSED = ("cu2qu", "qu2cu", "ufoLib", "voltLib", "mtiLib", "merge", "diff", "t1Lib", "misc/filesystem")
# Pillow's optional codecs that neither fpdf2 nor the theme's logos (PNG, JPEG, WebP:
# chalicelib/services/theme.py) use; without them Pillow reports the format unsupported.
# Their vendored libraries (libavif alone is 8 MB) go with them: see `unreferenced_libraries`.
PILLOW_UNUSED = ("_avif.", "_imagingft.", "_imagingtk.", "_imagingmath.", "_imagingmorph.")
# chalicelib/logs.py and payments use Powertools' Logger and metrics; nothing uses its
# event handler (with a 1.5 MB Swagger UI) or these utilities.
POWERTOOLS_KEPT_UTILITIES = ("jmespath_utils", "typing")
# CFFI's build-time half: `cffi/` (FFI, its compiler driver) and `pycparser/` (the C parser of
# `ffi.cdef`) make API-mode extension modules when a wheel is built; at run time such a module
# (argon2-cffi-bindings' `_ffi.abi3.so`) needs only the `_cffi_backend` extension, which stays.
# Nothing the app, argon2 or the passkey libraries import names them (tests/integration/test_packaging.py
# hashes a password and verifies a passkey signature from the extracted zip and layer).
CFFI_BUILD_TIME = ("cffi", "pycparser")
# Our own code keeps its source next to its pycs (tracebacks show the lines); the pinned
# dependencies ship as sourceless pycs (their source is on PyPI at the pinned version).
OWN_CODE = ("app.py", "chalicelib/")
# The passkey libraries (chalicelib/services/passkeys.py imports them inside its functions):
# webauthn and what it pulls in, ~6 MB of the zip, 4.6 MB of it cryptography's Rust extension.
# They ship in the web function's layer, not its zip (README "The Lambda package").  cffi's
# `_cffi_backend` stays in the zip: argon2 needs it on every sign-in.  Lambda puts a layer's `python/`
# at /opt/python on sys.path, after the function's /var/task.
LAYER_DISTRIBUTIONS = frozenset({"webauthn", "cbor2", "cryptography", "pyopenssl", "pyasn1", "pyasn1_modules"})
LAYER_DIR = "python"
LAYER_MOUNT = "/opt"
CLIENT_CALL = re.compile(r"""\bclient\(\s*["']([a-z0-9-]+)["']""")
WHEEL_TAG = re.compile(r"^Tag:\s*(\S+)$", re.MULTILINE)
MANYLINUX = re.compile(r"^manylinux_(\d+)_(\d+)_x86_64$")
LEGACY_MANYLINUX = {"manylinux1_x86_64": (2, 5), "manylinux2010_x86_64": (2, 12), "manylinux2014_x86_64": (2, 17)}


def trimmed(name: str) -> bool:
    """Whether a zip entry is left out of the package (see BOTOCORE_SERVICES, FONTTOOLS_UNUSED)."""
    parts = name.split("/")
    if "__pycache__" in parts:  # left by tests in the project (Chalice copies chalicelib/ whole):
        return True  # stale for the runtime; compile_pycs makes the package's own
    if parts[0] == "botocore" and len(parts) > 3 and parts[1] == "data":
        return parts[2] not in BOTOCORE_SERVICES
    if parts[0] == "PIL" and len(parts) == 2 and parts[1].startswith(PILLOW_UNUSED):
        return True
    if parts[0] == "aws_lambda_powertools" and len(parts) > 2:
        if parts[1] == "event_handler":
            return True
        if parts[1] == "utilities" and len(parts) > 3:
            return parts[2] not in POWERTOOLS_KEPT_UTILITIES
    if parts[0] in CFFI_BUILD_TIME and len(parts) > 1:
        return True
    if name.endswith(".dist-info/RECORD"):  # pip's uninstall list; nothing reads it at run time
        return True
    if parts[:2] == ["pydantic", "v1"]:  # pydantic 1's API, kept in 2 for migrations
        return True
    if parts[0] == "fontTools":
        inner = "/".join(parts[1:])
        if name.endswith((".so", ".c")):
            return True
        return any(inner == unused or inner.startswith(unused + "/") for unused in FONTTOOLS_UNUSED)
    return False


def _platform_glibc(tag: str):
    """glibc a wheel platform tag needs: (2, 17) for manylinux2014, None for pure Python,
    "linux" for a wheel built on this machine (it runs here only)."""
    platform = tag.rsplit("-", 1)[-1]
    if platform == "any":
        return None
    if platform in LEGACY_MANYLINUX:
        return LEGACY_MANYLINUX[platform]
    match = MANYLINUX.match(platform)
    if match:
        return int(match.group(1)), int(match.group(2))
    return "unsupported"


def check_wheels(archive: zipfile.ZipFile) -> list:
    """Problems with the wheels Chalice installed: one line per distribution that has no
    tag the runtime accepts (a `linux_*` wheel built here, a newer manylinux, another OS)."""
    problems = []
    for name in sorted(n for n in archive.namelist() if n.endswith(".dist-info/WHEEL")):
        tags = WHEEL_TAG.findall(archive.read(name).decode("utf-8", "replace"))
        needs = [_platform_glibc(tag) for tag in tags]
        if any(need is None or (isinstance(need, tuple) and need <= RUNTIME_GLIBC) for need in needs):
            continue
        problems.append(
            f"{name.split('/')[0]}: wheel tags {', '.join(tags) or 'none'} are not "
            f"loadable on {LAMBDA_RUNTIME} (glibc {'.'.join(map(str, RUNTIME_GLIBC))})"
        )
    return problems


def shared_object_needs(data: bytes):
    """(libraries a .so links, highest GLIBC_x.y symbol version it needs) from its ELF."""
    import io

    from elftools.elf.dynamic import DynamicSection
    from elftools.elf.elffile import ELFFile
    from elftools.elf.gnuversions import GNUVerNeedSection

    elf = ELFFile(io.BytesIO(data))
    libraries: list = []
    glibc: tuple = (0, 0)
    for section in elf.iter_sections():
        if isinstance(section, DynamicSection):
            libraries += [tag.needed for tag in section.iter_tags() if tag.entry.d_tag == "DT_NEEDED"]
        elif isinstance(section, GNUVerNeedSection):
            for _needed, versions in section.iter_versions():
                for version in versions:
                    if version.name.startswith("GLIBC_2."):
                        number = tuple(int(p) for p in version.name[len("GLIBC_") :].split("."))
                        glibc = max(glibc, number[:2])
    return libraries, glibc


def _is_shared_object(name: str) -> bool:
    return bool(re.search(r"\.so(\.\d+)*$", name))


def unreferenced_libraries(entries: dict) -> set:
    """Libraries vendored by manylinux wheels (`<dist>.libs/`) that no kept extension module
    links, directly or through another vendored library."""
    vendored = {
        name.rsplit("/", 1)[-1]: name
        for name in entries
        if _is_shared_object(name) and name.split("/", 1)[0].endswith(".libs")
    }
    pending = [name for name in entries if _is_shared_object(name) and not name.split("/", 1)[0].endswith(".libs")]
    reached = set()
    while pending:
        try:
            libraries, _ = shared_object_needs(entries[pending.pop()])
        except Exception:  # unreadable: check_shared_objects reports it
            continue
        for library in libraries:
            if library in vendored and library not in reached:
                reached.add(library)
                pending.append(vendored[library])
    return {path for library, path in vendored.items() if library not in reached}


def check_shared_objects(entries: dict) -> list:
    """Problems with the native code of the package: a .so needing a newer glibc than the
    runtime's, or linking a library neither the runtime nor the zip has."""
    shipped = {name.rsplit("/", 1)[-1] for name in entries}
    problems = []
    for name, data in sorted(entries.items()):
        if not _is_shared_object(name):
            continue
        try:
            libraries, glibc = shared_object_needs(data)
        except Exception as error:  # pyelftools' ELFError and struct errors on a bad file
            problems.append(f"{name} is not a readable ELF shared object ({error})")
            continue
        if glibc > RUNTIME_GLIBC:
            problems.append(
                f"{name} needs GLIBC_{glibc[0]}.{glibc[1]}; {LAMBDA_RUNTIME} has {RUNTIME_GLIBC[0]}.{RUNTIME_GLIBC[1]}"
            )
        missing = sorted(lib for lib in libraries if lib not in RUNTIME_LIBRARIES and lib not in shipped)
        if missing:
            problems.append(f"{name} links {', '.join(missing)}, which Lambda does not have")
    return problems


def check_client_services(project_dir: Path = PROJECT_DIR) -> list:
    """Services the code makes clients of whose botocore model the package leaves out."""
    problems = []
    for path in [project_dir / "app.py", *sorted((project_dir / "chalicelib").rglob("*.py"))]:
        for service in CLIENT_CALL.findall(path.read_text(encoding="utf-8")):
            if service not in BOTOCORE_SERVICES:
                problems.append(
                    f"{path.relative_to(project_dir)} makes a {service!r} client; add "
                    f"it to infra/package.py BOTOCORE_SERVICES"
                )
    return problems


def compile_pycs(sources: dict, sourceless=lambda name: False, root: str = "/var/task") -> dict:
    """`{name.py: source}` -> `{pyc name: bytes}`, unchecked-hash pycs: in `__pycache__/`
    next to the source, or, for a module `sourceless(name)` says ships without its source,
    as `name.pyc` in its place (Python imports those directly).

    Lambda's /var/task is read-only: Python cannot write a pyc there, so without them every
    cold start compiles each module again.  Timestamp pycs would be compared with the mtimes
    the files get when Lambda unpacks the zip; unchecked-hash pycs are used as they are (the
    package is never edited in place).  Code objects name <root>/<file>: /var/task for the
    function's zip, /opt/python for the layer's (Lambda's paths).
    """
    import importlib.util
    import py_compile

    if sys.version_info[:2] != RUNTIME_PYTHON:
        raise PackagingError(
            f"pycs for {LAMBDA_RUNTIME} need Python "
            f"{'.'.join(map(str, RUNTIME_PYTHON))}; this is {sys.version.split()[0]}"
        )
    import tempfile

    compiled, failures = {}, []
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "module.pyc"
        source_file = Path(scratch) / "module.py"
        for name, source in sorted(sources.items()):
            source_file.write_bytes(source)
            try:
                py_compile.compile(
                    str(source_file),
                    cfile=str(target),
                    dfile=f"{root}/{name}",
                    doraise=True,
                    invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
                )
            except py_compile.PyCompileError as error:
                failures.append(f"{name}: {error.msg.strip().splitlines()[-1]}")
                continue
            pyc = name + "c" if sourceless(name) else importlib.util.cache_from_source(name)
            compiled[pyc] = target.read_bytes()
    if failures:
        raise PackagingError(
            f"modules that do not compile on Python {'.'.join(map(str, RUNTIME_PYTHON))}:\n" + "\n".join(failures)
        )
    return compiled


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100000 | ZIP_MODE) << 16  # regular file, rw-r--r--
    return info


def check_runtime(template_path: Path) -> list:
    """Every function of the template runs on LAMBDA_RUNTIME (the pycs are for its Python)."""
    resources = json.loads(template_path.read_text(encoding="utf-8")).get("Resources", {})
    return [
        f"{name} runs {resource['Properties'].get('Runtime')}, not {LAMBDA_RUNTIME}"
        for name, resource in sorted(resources.items())
        if resource.get("Type") == "AWS::Serverless::Function"
        and resource.get("Properties", {}).get("Runtime") not in (None, LAMBDA_RUNTIME)
    ]


def _normalise(project: str) -> str:
    return re.sub(r"[-_.]+", "_", project).lower()


def distribution_files(archive: zipfile.ZipFile, distributions) -> set:
    """Every file the wheels of `distributions` installed (their dist-info's RECORD, which
    lists the dist-info itself too); PackagingError when one of them is not in the zip."""
    wanted = {_normalise(d) for d in distributions}
    files, found = set(), set()
    for name in archive.namelist():
        top, _, rest = name.partition("/")
        if rest != "RECORD" or not top.endswith(".dist-info"):
            continue
        project = _normalise(top[: -len(".dist-info")].rsplit("-", 1)[0])
        if project in wanted:
            found.add(project)
            record = archive.read(name).decode("utf-8")
            files |= {line.rsplit(",", 2)[0] for line in record.splitlines() if line.strip()}
    missing = wanted - found
    if missing:
        raise PackagingError(f"the layer's distributions {sorted(missing)} are not in {archive.filename}")
    return files


def finish_lambda_package(zip_path: Path, project_dir: Path = PROJECT_DIR, layer_path: Path | None = None) -> dict:
    """Check, trim and compile the zip in place; returns figures for the summary.

    Refuses (PackagingError) a wheel or .so the runtime cannot load and a client of a
    service whose model was trimmed; leaves out the unused parts of botocore and fontTools;
    adds a .pyc for every module.  With `layer_path`, the files of LAYER_DISTRIBUTIONS go to
    that zip under `python/` instead (same checks, trimming and pycs).
    """
    with zipfile.ZipFile(zip_path) as archive:
        problems = check_wheels(archive)
        infos = [info for info in archive.infolist() if not info.is_dir()]
        in_layer = distribution_files(archive, LAYER_DISTRIBUTIONS) if layer_path else set()
        entries = {info.filename: archive.read(info) for info in infos if not trimmed(info.filename)}
    for name in unreferenced_libraries(entries):
        del entries[name]
    problems += check_shared_objects(entries)
    problems += check_client_services(project_dir)
    if problems:
        raise PackagingError("the package would not work on " + LAMBDA_RUNTIME + ":\n  " + "\n  ".join(problems))

    def sourceless(name: str) -> bool:
        return not name.startswith(OWN_CODE)

    layer = {name: entries.pop(name) for name in sorted(in_layer & set(entries))}
    attributes = {info.filename: info.external_attr for info in infos}
    pycs = _compiled(entries, sourceless, "/var/task")
    _write(zip_path, entries, pycs, attributes, prefix="")
    figures = {"trimmed": len(infos) - len(entries) - len(layer), "pycs": len(pycs)}
    if layer_path is not None:
        layer_pycs = _compiled(layer, sourceless, f"{LAYER_MOUNT}/{LAYER_DIR}")
        _write(layer_path, layer, layer_pycs, attributes, prefix=f"{LAYER_DIR}/")
        figures.update(layer_files=len(layer), layer_pycs=len(layer_pycs))
    return figures


def _compiled(entries: dict, sourceless, root: str) -> dict:
    """Pycs of the modules in `entries`; the sources that ship without theirs are removed."""
    sources = {
        name: data
        for name, data in entries.items()
        if name.endswith(".py") and name.split("/", 1)[0] not in BUNDLED_DIRS
    }
    pycs = compile_pycs(sources, sourceless, root)
    for name in sources:
        if sourceless(name):
            del entries[name]
    return pycs


def _write(path: Path, entries: dict, pycs: dict, attributes: dict, prefix: str) -> None:
    rewritten = path.with_suffix(".tmp")
    with zipfile.ZipFile(rewritten, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for name, data in entries.items():
            kept = _entry(prefix + name)
            kept.external_attr = attributes.get(name) or kept.external_attr
            out.writestr(kept, data)
        for name, data in sorted(pycs.items()):
            out.writestr(_entry(prefix + name), data)
    rewritten.replace(path)


def build(stage: str, out_dir, *, project_dir: Path = PROJECT_DIR) -> Path:
    """Package `stage` into `out_dir` (sam.json, deployment.zip, passkeys-layer.zip,
    resources.json); returns out_dir."""
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
    runtime_problems = check_runtime(out_dir / "sam.json")
    if runtime_problems:
        raise PackagingError("\n".join(runtime_problems))
    finish_lambda_package(zip_path, project_dir, layer_path=out_dir / LAYER_ZIP)
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
    layer_path = out_dir / LAYER_ZIP
    layer = f"{shown}/{LAYER_ZIP}: {layer_path.stat().st_size / 1e6:.1f} MB; " if layer_path.is_file() else ""
    return (
        f"{shown}/deployment.zip: {zip_path.stat().st_size / 1e6:.1f} MB, {len(names)} files "
        f"({added} added from {' and '.join(d + '/' for d in BUNDLED_DIRS)}); {layer}"
        f"{shown}/sam.json with {tables} tables and {len(resources) - tables} other "
        f"resources merged from {shown}/resources.json"
    )


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
