"""The installed `portal` binary against the real local stack: create a company and a token,
import the examples, and sign in as an imported customer with the e-mailed credentials."""
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import requests

PROJECT_DIR = Path(__file__).resolve().parents[2]
PORTAL = Path(sys.executable).with_name("portal")


def bootstrap(stack, host):
    """What an operator does outside the API: a first platform token, and the company's
    sender domain verified in SES (here moto's)."""
    done = subprocess.run([sys.executable, "-m", "infra.local.bootstrap", "--verify", host,
                           "--moto-port", str(stack["moto_port"])], cwd=PROJECT_DIR,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_the_portal_binary_imports_the_examples_and_a_customer_signs_in(stack, tmp_path):
    examples = tmp_path / "examples"
    shutil.copytree(PROJECT_DIR / "examples", examples)
    env = dict(os.environ, PORTAL_URL=stack["url"], PORTAL_TOKEN=bootstrap(stack, "clico.localhost"),
               XDG_CONFIG_HOME=str(tmp_path))

    def portal(*args):
        done = subprocess.run([str(PORTAL), *map(str, args)], env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, f"portal {args}: {done.stdout}\n{done.stderr}"
        return done.stdout

    portal("company", "create", "clico", "--name", "CLI Co", "--domain", "clico.localhost",
           "--auto-credentials")
    env["PORTAL_TOKEN"] = portal("token", "create", "--scope", "company", "--company", "clico",
                                 "--label", "integration").strip().splitlines()[-1]
    env["PORTAL_COMPANY"] = "clico"
    portal("import", "customers", examples / "customers.csv", "--contacts",
           examples / "contacts.csv")
    for kind in ("dealers", "parts", "equipment"):
        portal("import", kind, examples / f"{kind}.csv")
    imported = json.loads(portal("--json", "import", "invoices", examples / "invoices.csv"))
    assert imported["summary"]["created"] == 5

    # The credentials e-mail of A1001 (its first invoice is INV-50001) ...
    deadline = time.monotonic() + 10  # the stack's mail consumer sends it moments later
    while True:
        mailbox = requests.get(f"{stack['url']}/dev/mailbox", headers={"Host": "localhost"},
                               timeout=10).text
        if "mary@maple-bakery.example" in mailbox or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert "mary@maple-bakery.example" in mailbox
    frames = re.findall(r'src="(/dev/mailbox/[^"]+)"', mailbox)
    bodies = [requests.get(f"{stack['url']}{src}", headers={"Host": "localhost"}, timeout=10).text
              for src in frames]
    assert any("INV-50001" in body and "A1001" in body for body in bodies)
    # ... lets the customer in, to the change-password form.
    session = requests.Session()
    session.headers["Host"] = "clico.localhost"
    page = session.get(f"{stack['url']}/login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    answer = session.post(f"{stack['url']}/login", timeout=10, allow_redirects=False,
                          data={"csrf_token": token, "login": "A1001", "password": "INV-50001"},
                          headers={"Origin": "http://clico.localhost"})
    assert answer.status_code == 303, answer.text[:500]
    assert "password" in answer.headers["Location"]
