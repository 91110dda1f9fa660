"""The deployment package (README "The Lambda package"): built once per module by infra.package.

- The zip, extracted, renders the sign-in page and serves the CSS in a Python
  that can import app, chalicelib and templates only from the zip.
- Every runtime requirement is in the zip.
- The packaged template (Chalice's SAM template plus infra.resources) passes cfn-lint.
"""
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from infra import package as packaging
from tests.package_support import packaged

REPO = packaging.PROJECT_DIR
STAGE = "prod"

# Runs inside the extracted package, in a fresh interpreter whose PYTHONPATH is
# the package only: app, chalicelib and templates can come from nowhere else.
RENDER_SCRIPT = r'''
import importlib.machinery
import json
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

PACKAGE = Path(sys.argv[1]).resolve()
CONFIG_DIR = sys.argv[2]
REPO = Path(sys.argv[3]).resolve()
LAYER = Path(sys.argv[4]).resolve()  # the passkeys layer's python/, as Lambda's /opt/python


def inside(path):
    return Path(path).resolve().is_relative_to(PACKAGE)


def in_layer(path):
    return Path(path).resolve().is_relative_to(LAYER)


assert REPO not in [Path(p or ".").resolve() for p in sys.path], sys.path

# Lambda imports the zip's chalice/__init__.py and chalice/app.py; the rest of
# Chalice (chalice.test, chalice.local, ...) is not deployed, so it comes from the venv.
import chalice  # noqa: E402

assert inside(chalice.__file__), chalice.__file__
venv_chalice = importlib.machinery.PathFinder.find_spec(
    "chalice", [p for p in sys.path if p and not inside(p)])
chalice.__path__.extend(venv_chalice.submodule_search_locations)

from app import app  # noqa: E402  (as Lambda would: handler "app.app")
import chalicelib  # noqa: E402
from chalicelib import templating  # noqa: E402
from chalicelib.models import ALL_MODELS, Company, Domain  # noqa: E402
from chalice.test import Client  # noqa: E402
from moto import mock_aws  # noqa: E402

result = {
    "app": sys.modules["app"].__file__,
    "chalicelib": chalicelib.__file__,
    "templates": str(templating.TEMPLATES_DIR),
    "static": str(templating.STATIC_DIR),
    "chalice.app": sys.modules["chalice.app"].__file__,
}
# Third-party modules the app imported resolve from the zip too (its wheels come first).
result["outside"] = sorted(
    name for name, module in list(sys.modules.items())
    if name.split(".")[0] in {"jinja2", "markupsafe", "pynamodb", "argon2", "blinker",
                              "aws_lambda_powertools", "botocore", "fpdf", "PIL", "fontTools",
                              "pydantic", "pydantic_core"}
    and getattr(module, "__file__", None) and not inside(module.__file__))

with mock_aws():
    for model in ALL_MODELS:
        model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
    now = datetime.now(timezone.utc)
    Company("abc", name="ABC Appliance Service", primary_domain="localhost",
            created_at=now, updated_at=now).save()
    Domain("localhost", company_id="abc", primary=True, created_at=now).save()
    with Client(app, stage_name="local", project_dir=CONFIG_DIR) as client:
        login = client.http.get("/login", headers={"Host": "localhost"})
        body = login.body.decode()
        result["login_status"] = login.status_code
        result["signed_in_heading"] = "Sign in to ABC Appliance Service" in body
        link = re.search(r'href="(/static/[0-9a-f]+/portal\.css)"', body)
        result["css_link"] = link.group(1) if link else None
        if link:
            css = client.http.get(link.group(1), headers={"Host": "localhost"})
            result["css_status"] = css.status_code
            result["css_type"] = css.headers.get("Content-Type")
            result["css_body"] = css.body.decode()
        if login.status_code != 200:
            result["login_body"] = body[:2000]
    # An invoice PDF with the logo (fpdf2, Pillow and fontTools as trimmed in the zip) and
    # a metric (Powertools as trimmed), and the admin API's pydantic models.
    from chalicelib import pdf
    from aws_lambda_powertools.metrics import MetricUnit, single_metric  # noqa: F401
    from chalicelib.contract import schemas  # noqa: F401
    document = {"title": "Invoice W1", "facts": [["Invoice", "W1"]], "lines": [["P1", "Pump", 1, 1, 0, 100, 100]],
                "subtotal": 100, "tax": 0, "total": 100, "payments": [], "balance": 100,
                "company": {"name": "ABC Appliance Service", "color": "#1f4e79",
                            "currency": "USD", "phone": None, "email": None}}
    logo = (REPO / "infra" / "local" / "demo" / "abc-logo.png").read_bytes()
    try:
        body = pdf.render_invoice(document, logo)
        result["pdf"] = body[:5].decode()
        result["pdf_image"] = b"/Subtype /Image" in body
    except Exception as error:  # reported, not raised: the other figures still count
        import traceback
        result["pdf"] = traceback.format_exc()
    import PIL, fontTools
    result["pdf_modules"] = [PIL.__file__, fontTools.__file__]
# A password hash (argon2 through CFFI's _cffi_backend, without cffi/ and pycparser/) and a
# passkey's signature checked by webauthn from the layer.
import argon2
hashed = argon2.PasswordHasher().hash("correct horse")
result["argon2"] = argon2.PasswordHasher().verify(hashed, "correct horse")
import webauthn
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers import verify_signature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
import cbor2
key = ec.generate_private_key(ec.SECP256R1())
numbers = key.public_key().public_numbers()
cose = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
from webauthn.helpers import decode_credential_public_key, decoded_public_key_to_cryptography
public = decoded_public_key_to_cryptography(decode_credential_public_key(cose))
verify_signature(public_key=public, signature_alg=COSEAlgorithmIdentifier.ECDSA_SHA_256,
                 signature=key.sign(b"signed", ec.ECDSA(hashes.SHA256())), data=b"signed")
result["passkey_signature"] = True
import OpenSSL, pyasn1, pyasn1_modules
result["layer_modules"] = {m.__name__: in_layer(m.__file__)
                           for m in (webauthn, cbor2, OpenSSL, pyasn1, pyasn1_modules, ec)}
result["cffi_loaded"] = sorted(n for n in sys.modules if n.split(".")[0] in ("cffi", "pycparser"))
print("RESULT " + json.dumps(result))
'''


@pytest.fixture(scope="module")
def package():
    """The session's `infra.package` build (tests/package_support.py): (output dir, seconds)."""
    return packaged(STAGE)


@pytest.fixture(scope="module")
def extracted(package, tmp_path_factory):
    target = tmp_path_factory.mktemp("extracted")
    with zipfile.ZipFile(package[0] / "deployment.zip") as archive:
        archive.extractall(target)
    return target.resolve()


@pytest.fixture(scope="module")
def extracted_layer(package, tmp_path_factory):
    """The passkeys layer as Lambda mounts it: /opt, with python/ on sys.path."""
    target = tmp_path_factory.mktemp("opt")
    with zipfile.ZipFile(package[0] / packaging.LAYER_ZIP) as archive:
        archive.extractall(target)
    return (target / packaging.LAYER_DIR).resolve()


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def test_package_has_app_templates_static_and_requirements(package):
    with zipfile.ZipFile(package[0] / "deployment.zip") as archive:
        names = set(archive.namelist())
    with zipfile.ZipFile(package[0] / packaging.LAYER_ZIP) as archive:
        layer_names = {name.split("/", 1)[1] for name in archive.namelist()}
    assert "app.py" in names and "chalicelib/templating.py" in names
    for top in ("templates", "static"):
        for path in (REPO / top).rglob("*"):
            if path.is_file() and not any(p.startswith(".") or p == "__pycache__"
                                          for p in path.relative_to(REPO).parts):
                assert path.relative_to(REPO).as_posix() in names
    # Every requirement is in the function's zip or (the passkey libraries) in its layer.
    dist_infos = {_normalise(name.split("/", 1)[0][: -len(".dist-info")])
                  for name in names | layer_names if name.split("/", 1)[0].endswith(".dist-info")}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            project, _, version = line.partition("==")
            assert _normalise(f"{project}-{version}") in dist_infos, f"{line} not packaged"


def test_extracted_package_renders_sign_in_page(package, extracted, extracted_layer, tmp_path):
    # The zip has no .chalice/; chalice.test.Client reads the stage's config from here.
    config_dir = tmp_path / "project"
    (config_dir / ".chalice").mkdir(parents=True)
    (config_dir / ".chalice" / "config.json").write_text(json.dumps({
        "version": "2.0", "app_name": "dealer-portal",
        "stages": {"local": {"api_gateway_stage": "api",
                             "environment_variables": {"PORTAL_STAGE": "local"}}},
    }))
    script = tmp_path / "render_check.py"
    script.write_text(RENDER_SCRIPT)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PYTHONPATH": os.pathsep.join([str(extracted), str(extracted_layer)]),  # Lambda's order
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PORTAL_STAGE": "local",
    }  # built from scratch: no AWS_ENDPOINT_URL, AWS_PROFILE or PORTAL_TABLE_PREFIX leaks in
    started = time.monotonic()
    run = subprocess.run([sys.executable, str(script), str(extracted), str(config_dir), str(REPO),
                          str(extracted_layer)],
                         cwd=extracted, env=env, capture_output=True, text=True, timeout=300)
    seconds = time.monotonic() - started
    lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    assert run.returncode == 0 and lines, f"stdout:\n{run.stdout}\nstderr:\n{run.stderr[-5000:]}"
    result = json.loads(lines[-1][len("RESULT "):])
    print(f"package built in {package[1]:.1f}s; extracted zip rendered in {seconds:.1f}s")

    for key in ("app", "chalicelib", "templates", "static", "chalice.app"):
        assert Path(result[key]).is_relative_to(extracted), (key, result[key])
    assert result["outside"] == [], "modules imported from outside the package"
    log = "\n".join(line for line in run.stdout.splitlines() if not line.startswith("RESULT "))
    assert result["login_status"] == 200, f"{result.get('login_body')}\n{log[-5000:]}"
    assert result["signed_in_heading"]
    assert result["css_link"], "no /static/<hash>/portal.css link on the page"
    assert result["css_status"] == 200
    assert result["css_type"].startswith("text/css")
    assert result["css_body"] == (REPO / "static" / "portal.css").read_text(encoding="utf-8")
    assert result["pdf"] == "%PDF-", result["pdf"]
    assert result["pdf_image"], "the logo is missing from the PDF"
    assert all(Path(p).is_relative_to(extracted) for p in result["pdf_modules"])
    assert result["argon2"] is True and result["passkey_signature"] is True
    assert result["layer_modules"] == dict.fromkeys(
        ["webauthn", "cbor2", "OpenSSL", "pyasn1", "pyasn1_modules",
         "cryptography.hazmat.primitives.asymmetric.ec"], True)
    assert result["cffi_loaded"] == []


# --- Lambda compatibility, size and pycs (infra/package.py `finish_lambda_package`) ---------

def test_package_fits_the_lambda_runtime(package):
    template = json.loads((package[0] / "sam.json").read_text())["Resources"]
    runtimes = {r["Properties"]["Runtime"] for r in template.values()
                if r["Type"] == "AWS::Serverless::Function"}
    assert runtimes == {packaging.LAMBDA_RUNTIME}
    zip_path = package[0] / "deployment.zip"
    assert zip_path.stat().st_size <= 15_000_000, f"{zip_path.stat().st_size / 1e6:.3f} MB"
    with zipfile.ZipFile(zip_path) as archive:
        assert packaging.check_wheels(archive) == []
        entries = {i.filename: archive.read(i) for i in archive.infolist() if not i.is_dir()}
    assert packaging.check_shared_objects(entries) == []
    assert any(name.startswith("pillow.libs/") for name in entries)  # manylinux, not built here


def test_passkey_libraries_are_in_the_web_functions_layer_only(package):
    layer_path = package[0] / packaging.LAYER_ZIP
    # A layer's unzipped size counts against Lambda's 250 MB with the function's; zipped, the
    # passkey libraries are about 6 MB (cryptography's Rust extension 4.6 MB of it).
    assert 4_000_000 <= layer_path.stat().st_size <= 8_000_000, f"{layer_path.stat().st_size / 1e6:.3f} MB"
    with zipfile.ZipFile(layer_path) as layer:
        layer_names = layer.namelist()
        assert packaging.check_wheels(layer) == []
        layer_entries = {i.filename: layer.read(i) for i in layer.infolist() if not i.is_dir()}
    assert all(name.startswith("python/") for name in layer_names)
    assert packaging.check_shared_objects(layer_entries) == []
    tops = {name.split("/")[1] for name in layer_names}
    assert {"webauthn", "cryptography", "OpenSSL", "pyasn1", "pyasn1_modules", "cbor2"} <= tops
    with zipfile.ZipFile(package[0] / "deployment.zip") as archive:
        function_tops = {name.split("/")[0] for name in archive.namelist()}
    assert not function_tops & tops, "a file is in both the function's zip and its layer"
    assert "_cffi_backend.cpython-311-x86_64-linux-gnu.so" in function_tops  # argon2's
    assert not {"cffi", "pycparser"} & function_tops  # build-time only (infra/package.py)
    # Sourceless pycs naming Lambda's /opt/python, unchecked (like the zip's dependencies).
    import importlib.util
    assert "python/webauthn/__init__.pyc" in layer_names
    assert not [n for n in layer_names if n.endswith(".py")]
    assert {_pyc_header(data) for name, data in layer_entries.items() if name.endswith(".pyc")} == {
        (importlib.util.MAGIC_NUMBER, 0b01)}
    # Only the web function carries it.
    resources = json.loads((package[0] / "sam.json").read_text())["Resources"]
    layered = {name: r["Properties"].get("Layers") for name, r in resources.items()
               if r["Type"] == "AWS::Serverless::Function" and r["Properties"].get("Layers")}
    assert layered == {"APIHandler": [{"Ref": "PasskeysLayer"}]}
    assert resources["PasskeysLayer"]["Properties"]["ContentUri"] == "./" + packaging.LAYER_ZIP


def _pyc_header(data: bytes):
    """(magic, flags) of a pyc: flags 0b01 = hash-based, unchecked (PEP 552)."""
    return data[:4], int.from_bytes(data[4:8], "little")


def test_every_module_has_a_pyc_the_runtime_uses_without_checking(package):
    import importlib.util

    with zipfile.ZipFile(package[0] / "deployment.zip") as archive:
        listed = archive.namelist()
        names = set(listed)
        pycs = {name: _pyc_header(archive.read(name)) for name in names if name.endswith(".pyc")}
    # Our own code: source and a __pycache__ pyc.  Dependencies: sourceless pycs.
    own = [n for n in names if n.endswith(".py") and n.startswith(packaging.OWN_CODE)]
    assert "app.py" in own and "chalicelib/web/middleware.py" in own
    for name in own:
        assert importlib.util.cache_from_source(name) in pycs, name
    dependency_sources = [n for n in names if n.endswith(".py") and not n.startswith(packaging.OWN_CODE)
                          and n.split("/", 1)[0] not in packaging.BUNDLED_DIRS]
    assert dependency_sources == []
    assert {"chalice/app.pyc", "jinja2/__init__.pyc", "pynamodb/models.pyc"} <= set(pycs)
    assert {header for header in pycs.values()} == {(importlib.util.MAGIC_NUMBER, 0b01)}
    # one entry per name: a pyc the project's __pycache__ held is not added beside the package's
    assert sorted(listed) == sorted(names)


def _this_machines_extension(module: str) -> bytes:
    """A stdlib extension module of this machine's Python, built against its newer glibc."""
    import importlib.util

    origin = importlib.util.find_spec(module).origin
    if not origin.endswith(".so"):
        pytest.skip(f"{module} is not a shared object here")
    return Path(origin).read_bytes()


def test_packaging_refuses_wheels_built_here_and_newer_glibc_or_missing_libraries(tmp_path):
    zip_path = tmp_path / "wheels.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr("pillow-13.0.0.dist-info/WHEEL", "Wheel-Version: 1.0\n"
                         "Root-Is-Purelib: false\nTag: cp311-cp311-linux_x86_64\n")
        archive.writestr("newer-1.0.dist-info/WHEEL", "Tag: cp311-cp311-manylinux_2_28_x86_64\n")
        archive.writestr("either-1.0.dist-info/WHEEL", "Tag: cp310-abi3-manylinux_2_26_x86_64\n"
                         "Tag: cp310-abi3-manylinux_2_28_x86_64\n")
        archive.writestr("pure-1.0.dist-info/WHEEL", "Tag: py3-none-any\n")
    with zipfile.ZipFile(zip_path) as archive:
        problems = packaging.check_wheels(archive)
    assert [p.split(":")[0] for p in problems] == ["newer-1.0.dist-info", "pillow-13.0.0.dist-info"]

    # _ctypes links this machine's libffi.so.8 (AL2 has libffi.so.6) and needs GLIBC_2.34.
    ctypes_so = _this_machines_extension("_ctypes")
    libraries, glibc = packaging.shared_object_needs(ctypes_so)
    assert glibc > packaging.RUNTIME_GLIBC
    problems = packaging.check_shared_objects({"_ctypes.cpython-311-x86_64-linux-gnu.so": ctypes_so})
    assert any("needs GLIBC_2." in p for p in problems), problems
    assert any("links libffi" in p for p in problems), problems
    # The same library shipped in the zip (as a manylinux wheel vendors it) is fine.
    problems = packaging.check_shared_objects({
        "_ctypes.cpython-311-x86_64-linux-gnu.so": ctypes_so,
        "x.libs/" + [lib for lib in libraries if lib.startswith("libffi")][0]: b""})
    assert not any("links libffi" in p for p in problems), problems


def test_trimming_keeps_what_the_app_and_pdfs_import():
    assert packaging.trimmed("botocore/data/ec2/2016-11-15/service-2.json.gz")
    assert not packaging.trimmed("botocore/data/dynamodb/2012-08-10/service-2.json.gz")
    assert not packaging.trimmed("botocore/data/endpoints.json")
    assert packaging.trimmed("chalicelib/web/__pycache__/middleware.cpython-311.pyc")
    assert packaging.trimmed("fontTools/misc/bezierTools.cpython-311-x86_64-linux-gnu.so")
    assert not packaging.trimmed("fontTools/misc/bezierTools.py")
    assert not packaging.trimmed("fontTools/subset/__init__.py")
    assert packaging.trimmed("PIL/_avif.cpython-311-x86_64-linux-gnu.so")
    assert not packaging.trimmed("PIL/_imaging.cpython-311-x86_64-linux-gnu.so")
    assert not packaging.trimmed("PIL/_webp.cpython-311-x86_64-linux-gnu.so")  # WebP logos
    assert packaging.check_client_services() == []
    # CFFI's build-time half goes; the backend argon2's compiled bindings load stays.
    assert packaging.trimmed("cffi/api.py") and packaging.trimmed("pycparser/c_parser.py")
    assert not packaging.trimmed("_cffi_backend.cpython-311-x86_64-linux-gnu.so")
    assert not packaging.trimmed("_argon2_cffi_bindings/_ffi.abi3.so")


def test_the_layer_takes_the_files_its_distributions_installed(tmp_path):
    zip_path = tmp_path / "chalice.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr("cbor2-5.9.0.dist-info/RECORD", "cbor2/__init__.py,sha256=x,1\n"
                         "_cbor2.cpython-311-x86_64-linux-gnu.so,sha256=y,2\n"
                         "cbor2-5.9.0.dist-info/RECORD,,\n")
        archive.writestr("jinja2-3.1.6.dist-info/RECORD", "jinja2/__init__.py,sha256=z,3\n")
    with zipfile.ZipFile(zip_path) as archive:
        assert packaging.distribution_files(archive, {"cbor2"}) == {
            "cbor2/__init__.py", "_cbor2.cpython-311-x86_64-linux-gnu.so", "cbor2-5.9.0.dist-info/RECORD"}
        with pytest.raises(packaging.PackagingError, match="webauthn"):
            packaging.distribution_files(archive, {"cbor2", "webauthn"})


def _cfn_lint_command():
    script = Path(sys.executable).parent / "cfn-lint"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "cfnlint"]


def test_packaged_template_passes_cfn_lint(package):
    template = package[0] / "sam.json"
    merged = json.loads(template.read_text())["Resources"]
    ours = json.loads((package[0] / "resources.json").read_text())["Resources"]
    assert set(ours) <= set(merged), "resources.json was not merged into sam.json"
    assert merged["APIHandler"]["Properties"]["CodeUri"] == "./deployment.zip"
    # Deep-merged, not replaced: Chalice's variables stay, the CloudFront URL joins them.
    variables = merged["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert variables["PORTAL_STAGE"] == STAGE
    assert variables["PORTAL_THEME_ASSETS_URL"] == {"Fn::Sub": "https://${ThemeDistribution.DomainName}"}
    # Warnings are acceptable (W3011: DeletionPolicy without UpdateReplacePolicy);
    # errors are not.  No rule is ignored: Chalice's own SAM output lints clean.
    run = subprocess.run(_cfn_lint_command() + ["--format", "parseable", str(template)],
                         capture_output=True, text=True, timeout=300)
    findings = [line for line in run.stdout.splitlines() if line.strip()]
    errors = [line for line in findings if re.search(r":E\d+:", line)]
    # cfn-lint's exit code is a bit mask: 2 errors, 4 warnings, 8 informational.
    assert run.returncode & ~(4 | 8) == 0 and not errors, (
        f"cfn-lint exit {run.returncode}:\n" + "\n".join(errors or findings) + run.stderr)
