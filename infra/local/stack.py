"""`make run`: the whole portal on this machine, in one process group.

moto's server (DynamoDB, S3, SES, SQS, Secrets Manager) on loopback, tables,
buckets and queues created from the models, demo data seeded, then `chalice local`
serving the app.  Ctrl-C (or SIGTERM) stops everything it started.

Also the local emergepay stand-in (infra/local/emergepay.py, on EMERGEPAY_PORT or a
free port; the app reaches it through PORTAL_EMERGEPAY_URL) and, since `chalice
local` never fires `@app.schedule` handlers, the payment reconciler on a timer
(every RECONCILE_SECONDS, default 60), and, since it never consumes SQS either, the
mail queue's consumer (`send_queued_mail` in app.py) polling moto's mail queue every
second (infra/local/mail_queue.py): e-mails reach the dev mailbox a second after the
request, and failed ones are retried and end in the dead-letter queue as in AWS.

Environment: PORT (default 8000), MOTO_PORT (default 5055), HOST (127.0.0.1),
EMERGEPAY_PORT (default: a free port), RECONCILE_SECONDS (default 60).
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]


def local_environment(port: int, moto_port: int) -> dict:
    moto = f"http://127.0.0.1:{moto_port}"
    return {
        "PORTAL_STAGE": "local",
        "AWS_ENDPOINT_URL": moto,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "PORTAL_THEME_ASSETS_URL": f"{moto}/portal-theme-assets",
        "PORTAL_PUBLIC_PORT": str(port),
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "INFO"),
    }


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing answered on port {port} within {timeout:.0f} s")


def start_moto(moto_port: int) -> subprocess.Popen:
    env = dict(os.environ, MOTO_DISABLE_GLOBAL_CORS="true")
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local.moto_server", "-H", "127.0.0.1", "-p", str(moto_port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(moto_port)
    return process


class OneRequestAtATime:
    """`app.current_request` is shared by all threads and `chalice local` serves
    on a threading server: without this lock a browser's parallel requests can
    be answered with another request's data (chalice local serves on a threading server)."""

    def __init__(self, app):
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, *args, **kwargs):
        with self._lock:
            return self._app(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._app, name)


def redacting_request_handler():
    """`chalice local`'s request handler, its access-log lines without token path segments
    (chalicelib/logs.py)."""
    from chalice import local

    from chalicelib.logs import redact

    class RedactingRequestHandler(local.ChaliceRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 (the base class's name)
            super().log_message("%s", redact(format % args))

    return RedactingRequestHandler


def start_emergepay() -> str:
    """The emergepay stand-in on a daemon thread; returns its API base URL."""
    from infra.local import emergepay

    server, _ = emergepay.serve(int(os.environ.get("EMERGEPAY_PORT", "0")))
    return f"http://127.0.0.1:{server.server_address[1]}{emergepay.API_PREFIX}"


def start_reconciler(seconds: float) -> None:
    """What `@app.schedule` does in AWS: resolve pending payments, retry receipts,
    recount the AR totals of ERP batches cut off midway."""

    def loop():
        from chalicelib.logs import logger
        from chalicelib.repositories import ar_totals
        from chalicelib.services.payments import default_service

        while True:
            time.sleep(seconds)
            try:
                default_service().reconcile_all()
                ar_totals.repair()
            except Exception:  # keep the timer alive; the error is in the log
                logger.exception("local reconciler run failed")

    threading.Thread(target=loop, daemon=True, name="reconciler").start()


def start_mail_consumer() -> None:
    """What Lambda's SQS event source does in AWS: run `send_queued_mail` on the mail queue."""
    from app import send_queued_mail
    from infra.local import mail_queue

    mail_queue.start_consumer(send_queued_mail)


def make_server(host: str, port: int):
    import functools

    from chalice import local
    from chalice.cli.factory import CLIFactory

    factory = CLIFactory(str(PROJECT_DIR), environ=os.environ)
    config = factory.create_config_obj(chalice_stage_name="local")
    server = local.create_local_server(config.chalice_app, config, host, port)
    server.server.RequestHandlerClass = functools.partial(
        redacting_request_handler(), app_object=OneRequestAtATime(server.app_object), config=config
    )
    return server


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    moto_port = int(os.environ.get("MOTO_PORT", "5055"))
    host = os.environ.get("HOST", "127.0.0.1")
    os.environ.update(local_environment(port, moto_port))
    sys.path.insert(0, str(PROJECT_DIR))
    started = time.monotonic()
    moto = start_moto(moto_port)

    def stop(*_):
        moto.terminate()
        try:
            moto.wait(timeout=5)
        except subprocess.TimeoutExpired:
            moto.kill()
        raise SystemExit(0)

    # Explicit handlers: a shell that starts us in the background ignores SIGINT.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        from infra.local import seed
        from infra.resources import create_all

        hosts = [h for spec in seed.COMPANIES for h in spec["hosts"]]
        # The theme bucket's own CORS rule (moto runs with MOTO_DISABLE_GLOBAL_CORS).
        create_all(domains=hosts, cors_origins=[f"http://{h}:{port}" for h in hosts])
        counts = seed.seed()
        emergepay_url = start_emergepay()
        os.environ["PORTAL_EMERGEPAY_URL"] = emergepay_url
        start_reconciler(float(os.environ.get("RECONCILE_SECONDS", "60")))
        start_mail_consumer()
        server = make_server(host, port)
        print(
            f"""
Dealer Portal is running (stage local; data lives in memory and resets on restart).

  ABC Appliance Service   http://localhost:{port}/  (also http://abc.localhost:{port}/)
  Pacific Distribution    http://pacific.localhost:{port}/
  Platform host           http://portal.localhost:{port}/  (names no company)
  Dev mailbox             http://localhost:{port}/dev/mailbox
  Admin API               http://localhost:{port}/api/v1  (OpenAPI: /api/v1/openapi.json)
    platform token        {seed.LOCAL_PLATFORM_TOKEN}
  moto (local AWS)        http://127.0.0.1:{moto_port}/
  emergepay stand-in      {emergepay_url}  (test cards: README "Payments")

Demo logins (local only):
{seed.demo_logins()}

Seeded {sum(counts.values())} records; ready in {time.monotonic() - started:.1f} s. Ctrl-C stops everything.
""",
            flush=True,
        )
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if moto.poll() is None:
            moto.terminate()
            moto.wait(timeout=5)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
