"""`make deploy` refuses bad parameters before AWS and runs the AWS CLI in order;
`make smoke` checks a stage over HTTP (here: the app served in-process, moto behind it)."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from infra import deploy, smoke
from infra.resources import cloudformation


@pytest.fixture
def package_dir(tmp_path):
    (tmp_path / "sam.json").write_text(json.dumps(cloudformation("portal-dev-", "dev")))
    (tmp_path / "deployment.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    return tmp_path


@pytest.mark.parametrize("arguments, message", [
    ([], "parameter OperatorEmail is required"),
    (["--operator-email", "ops"], "an e-mail address for the alarms"),
    (["--operator-email", "ops@example.com"], "parameter MailSender is required"),
    (["--operator-email", "ops@example.com", "--mail-sender", "nobody"], "a verified SES sender address"),
    (["--operator-email", "ops@example.com", "--mail-sender", "no-reply@portal.example.com", "--stage", "prod"],
     "this template was packaged for stage 'dev'"),
    (["--operator-email", "ops@example.com", "--mail-sender", "no-reply@portal.example.com", "--log-retention-days", "10"], "LogRetentionDays='10'"),
    (["--operator-email", "ops@example.com", "--mail-sender", "no-reply@portal.example.com", "--web-reserved-concurrency", "-5"],
     "a whole number of at least 0"),
])
def test_deploy_refuses_bad_parameters_before_calling_aws(package_dir, capsys, arguments, message):
    argv = ["--stage", "dev", "--package", str(package_dir), "--dry-run", *arguments]
    if "--stage" in arguments:  # the later --stage wins: a template packaged for another stage
        argv = argv[2:]
    assert deploy.main(argv) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "+ aws" not in captured.out


def test_deploy_refuses_a_missing_package(tmp_path, capsys):
    assert deploy.main(["--stage", "dev", "--package", str(tmp_path / "none"), "--dry-run",
                        "--operator-email", "ops@example.com", "--mail-sender", "no-reply@portal.example.com"]) == 2
    assert "make package STAGE=dev" in capsys.readouterr().err


def test_deploy_packages_then_deploys_the_stage_stack_with_its_parameters(package_dir, capsys):
    assert deploy.main(["--stage", "dev", "--package", str(package_dir), "--dry-run",
                        "--operator-email", "ops@example.com", "--mail-sender", "no-reply@portal.example.com", "--artifacts-bucket", "my-artifacts"]) == 0
    lines = [line[2:] for line in capsys.readouterr().out.splitlines() if line.startswith("+ ")]
    assert lines[0].startswith("aws cloudformation package") and "--s3-bucket my-artifacts" in lines[0]
    assert lines[1].startswith("aws cloudformation deploy")
    assert "--stack-name dealer-portal-dev" in lines[1]
    assert "Stage=dev" in lines[1] and "OperatorEmail=ops@example.com" in lines[1]
    assert "CAPABILITY_AUTO_EXPAND" in lines[1]  # the SAM transform
    assert lines[2].startswith("aws cloudformation describe-stacks")


# --------------------------------------------------------------------------- smoke

@pytest.fixture
def served(app, abc):
    """The app over real HTTP on a free port, each request through chalice.test.Client."""
    from chalice.test import Client

    with Client(app, stage_name="local") as client:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                response = client.http.request("GET", self.path, headers=dict(self.headers))
                self.send_response(response.status_code)
                for name, value in response.headers.items():
                    for one in value if isinstance(value, list) else [value]:
                        self.send_header(name, one)
                self.end_headers()
                self.wfile.write(response.body or b"")

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield server.server_address[1]
        server.shutdown()


def test_smoke_passes_on_a_company_host(served, capsys):
    assert smoke.main([f"http://localhost:{served}"]) == 0
    assert json.loads(capsys.readouterr().out)["problems"] == 0


def test_smoke_fails_on_a_host_of_no_company(served, capsys):
    assert smoke.main([f"http://127.0.0.1:{served}"]) == 1
    assert "the host is not a company's domain" in capsys.readouterr().err


def test_smoke_checks_the_scheduled_functions_last_runs(aws):
    import boto3

    logs = boto3.client("logs", region_name="us-east-1")
    now = time.time()
    for function, ran_minutes_ago in (("ReconcilePayments", 2), ("RepairArTotals", 120)):
        group = f"/aws/lambda/dealer-portal-dev-{function}"
        logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName="2026/11/29/[$LATEST]abc")
        logs.put_log_events(logGroupName=group, logStreamName="2026/11/29/[$LATEST]abc", logEvents=[
            {"timestamp": int((now - ran_minutes_ago * 60) * 1000), "message": "START"}])
    problems = smoke.check_schedules("dev", logs, now=now)
    assert problems == ["RepairArTotals last ran 120 minutes ago; it runs every 15 minutes"]
    assert smoke.check_schedules("prod", logs, now=now)[0].startswith(
        "/aws/lambda/dealer-portal-prod-ReconcilePayments does not exist")
