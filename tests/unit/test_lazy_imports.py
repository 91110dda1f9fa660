"""The cold start defers services, repositories and the gateway client (chalicelib/lazy_imports.py).

Each check runs in a fresh interpreter: this test process has long imported everything."""
import json
import subprocess
import sys
import textwrap
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]


def run(code: str, *, cwd: Path = PROJECT_DIR, path: Path = PROJECT_DIR) -> dict:
    program = f"import sys; sys.path.insert(0, {str(path)!r})\n" + textwrap.dedent(code)
    result = subprocess.run([sys.executable, "-I", "-c", program], cwd=str(cwd),
                            capture_output=True, text=True, timeout=120,
                            env={"AWS_DEFAULT_REGION": "us-east-1", "PORTAL_STAGE": "local"})
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_import_app_runs_no_service_repository_or_gateway_module():
    answer = run("""
        import json, sys, types
        import app
        deferred = ("chalicelib.services.", "chalicelib.repositories.", "chalicelib.payments.")
        ran = sorted(name for name, module in sys.modules.items()
                     if name.startswith(deferred) and type(module) is types.ModuleType)
        present = sorted(name for name in sys.modules if name.startswith(deferred))
        models = sorted(name for name in sys.modules if name.startswith("chalicelib.models."))
        powertools = sorted(name for name in sys.modules if name.split(".")[0] == "aws_lambda_powertools")
        logs = sys.modules.get("chalicelib.logs")
        print(json.dumps({"ran": ran, "present": present, "models": models, "powertools": powertools,
                          "logs": None if logs is None else type(logs) is types.ModuleType}))
    """)
    assert "chalicelib.services.payments" in answer["present"]  # imported by the routes...
    assert answer["ran"] == []  # ...but none of their code has run yet
    # Model modules load when a name of theirs is read (chalicelib/models/__init__.py), and no
    # route module, nor the request state (chalicelib/web/state.py), reads one at import: not
    # even the request pipeline's company, session, user and web-access models.
    assert answer["models"] == ["chalicelib.models.base"]
    # The logger (chalicelib/logs.py) is imported by the middleware but built, with Powertools,
    # on the first line logged.
    assert answer["logs"] is False
    assert answer["powertools"] == []


def test_a_deferred_module_runs_on_first_use_and_behaves_as_usual():
    answer = run("""
        import json
        import app
        from chalicelib.services import payments
        from chalicelib.services import payments as again  # a second import is not a use
        import types
        untouched = type(payments) is not types.ModuleType
        cls = payments.PaymentService
        print(json.dumps({"untouched": untouched, "same": again is payments,
                          "name": cls.__name__, "module": cls.__module__,
                          "ran": type(payments) is types.ModuleType}))
    """)
    assert answer == {"untouched": True, "same": True, "name": "PaymentService",
                      "module": "chalicelib.services.payments", "ran": True}


def test_the_deferred_logger_is_built_whole_on_first_use():
    answer = run("""
        import io, json
        import app
        from chalicelib import logs
        out = io.StringIO()
        logs.logger.registered_handler.setStream(out)
        logs.logger.info("request", extra={"path": "/invite/SECRET-TOKEN"})
        print(json.dumps({"logger": type(logs.logger).__module__ + "." + type(logs.logger).__name__,
                          "formatter": type(logs.logger.registered_formatter).__name__,
                          "line": json.loads(out.getvalue())}))
    """)
    assert answer["logger"] == "aws_lambda_powertools.logging.logger.Logger"
    assert answer["formatter"] == "RedactingFormatter"
    assert answer["line"]["service"] == "dealer-portal"
    assert answer["line"]["path"] == "/invite/[redacted]"


def test_two_threads_reading_a_module_first_both_see_it_whole(tmp_path):
    package = tmp_path / "slowpkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    # The module takes a while to run, so the second thread arrives while the first runs it.
    (package / "mod.py").write_text("import time\ntime.sleep(0.3)\nVALUE = 42\n")
    answer = run(f"""
        import json, threading
        sys.path.insert(0, {str(tmp_path)!r})
        from chalicelib.lazy_imports import defer
        defer("slowpkg")
        from slowpkg import mod
        import types
        assert type(mod) is not types.ModuleType, "slowpkg.mod was not deferred"
        barrier, seen = threading.Barrier(4), []
        def read():
            barrier.wait()
            try:
                seen.append(mod.VALUE)
            except AttributeError as error:
                seen.append(str(error))
        threads = [threading.Thread(target=read) for _ in range(4)]
        [thread.start() for thread in threads]
        [thread.join() for thread in threads]
        print(json.dumps({{"seen": seen}}))
    """)
    assert answer["seen"] == [42, 42, 42, 42]
