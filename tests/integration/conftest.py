"""Starts the real local stack (`python -m infra.local.stack`) once for these tests."""
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

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
