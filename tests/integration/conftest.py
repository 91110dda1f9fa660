"""Starts the real local stack (`python -m infra.local.stack`) once for these tests.

Also: a Debian Chromium driven by Playwright (`chromium` fixture) and
`assert_accessible(page)`, an axe-core check of the page a browser test is on.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from .browser_support import PROJECT_DIR, Contexts


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def stack():
    port, moto_port = free_port(), free_port()
    env = dict(os.environ, PORT=str(port), MOTO_PORT=str(moto_port), PYTHONUNBUFFERED="1",
               POWERTOOLS_LOG_LEVEL="WARNING")
    for name in ("AWS_ENDPOINT_URL", "PORTAL_STAGE"):
        env.pop(name, None)
    process = subprocess.Popen([sys.executable, "-m", "infra.local.stack"], cwd=PROJECT_DIR,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        output.append(line)
        if "Ctrl-C stops everything" in line:
            break
    else:
        process.kill()
    if process.poll() is not None or not any("Ctrl-C" in line for line in output):
        process.kill()
        pytest.fail("the local stack did not start:\n" + "".join(output))
    # Keep draining its output so the pipe never fills up and blocks the server.
    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
    yield {"port": port, "moto_port": moto_port, "url": f"http://127.0.0.1:{port}",
           "banner": "".join(output)}
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


# ------------------------------------------------------------------ browser
# Browser tests drive Debian's Chromium (nothing here may download a browser build).
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-quic",
                  "--no-first-run"]


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the session; each test opens its own context."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS,
                                             headless=True)
        yield browser
        browser.close()


@pytest.fixture
def browser_context(chromium):
    contexts = Contexts(chromium)
    yield contexts
    contexts.close()
    assert not contexts.unexpected_errors()
