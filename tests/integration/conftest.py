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
from pathlib import Path

import pytest

from .browser_support import Contexts

PROJECT_DIR = Path(__file__).resolve().parents[2]


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


# ------------------------------------------------------------ accessibility
BLOCKING_IMPACTS = ("serious", "critical")
_axe = None


def axe_violations(page, impacts=BLOCKING_IMPACTS):
    """axe-core's violations on the page as it is now, only those of `impacts`.

    axe-playwright-python bundles axe-core's JavaScript (no Node needed) and
    injects it with `page.evaluate`, which the page's CSP does not restrict.
    """
    global _axe
    if _axe is None:
        from axe_playwright_python.sync_playwright import Axe

        _axe = Axe()
    results = _axe.run(page)
    return [violation for violation in results.response["violations"]
            if violation.get("impact") in impacts]


def assert_accessible(page, impacts=BLOCKING_IMPACTS):
    """Fail listing axe violations of impact "serious" or "critical" (WCAG 2.1 AA)."""
    violations = axe_violations(page, impacts)
    if violations:
        lines = [f"{len(violations)} accessibility violation(s) on {page.url}:"]
        for violation in violations:
            targets = [" ".join(map(str, node.get("target", [])))
                       for node in violation.get("nodes", [])[:3]]
            more = len(violation.get("nodes", [])) - len(targets)
            lines.append(f"  {violation['id']} ({violation['impact']}): {violation['help']}"
                         f" -> {', '.join(targets)}" + (f" (+{more} more)" if more > 0 else ""))
        pytest.fail("\n".join(lines), pytrace=False)


@pytest.fixture
def browser_context(chromium):
    contexts = Contexts(chromium)
    yield contexts
    contexts.close()
    assert not contexts.unexpected_errors()
