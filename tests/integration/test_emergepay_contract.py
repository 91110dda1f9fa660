"""Contract: Gravity's own Node SDK (`emergepay-sdk` from npm, pointed at the local
stand-in with its `environmentUrl` option) makes every call the portal makes, and
gets the same shapes; our Python client sends the same requests.

Needs `node` and `npm` (`make test` installs Debian's nodejs/npm when missing). The
SDK is installed with npm into .venv/node-contract (kept between runs).
"""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from chalicelib.payments import gateway as gateway_module
from tests.payment_support import ACH_OK, CARD_OK, DEMO_CREDS

PROJECT = Path(__file__).resolve().parents[2]
SDK_VERSION = "1.15.3"
SDK_DIR = PROJECT / ".venv" / "node-contract"
SCRIPT = PROJECT / "tests" / "integration" / "contract" / "emergepay_sdk_calls.js"
RESULT_FIELDS = {"externalTransactionId", "transactionType", "resultStatus", "resultMessage",
                 "uniqueTransId", "approvalNumberResult", "amount", "amountProcessed",
                 "maskedAccount", "accountCardType", "billingName"}


@pytest.fixture(scope="module")
def sdk():
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.fail("node and npm are needed: `make test` installs Debian's nodejs and npm")
    installed = SDK_DIR / "node_modules" / "emergepay-sdk" / "package.json"
    if not installed.exists() or json.loads(installed.read_text())["version"] != SDK_VERSION:
        SDK_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "install", "--prefix", str(SDK_DIR), "--no-audit", "--no-fund",
                        "--loglevel=error", f"emergepay-sdk@{SDK_VERSION}"], check=True,
                       timeout=300)
    return node


def run_sdk(node, url):
    answer = subprocess.run([node, str(SCRIPT), url, DEMO_CREDS.oid], capture_output=True,
                            text=True, timeout=120, cwd=SDK_DIR,
                            env=dict(os.environ, NODE_PATH=str(SDK_DIR / "node_modules")))
    assert answer.returncode == 0, answer.stderr
    return json.loads(answer.stdout.strip().splitlines()[-1])


def requests_made(stand_in):
    return {(r["method"], r["endpoint"], tuple(r["envelope"]), tuple(r["fields"]),
             r["idempotency_key"]) for r in stand_in.requests}


def run_python_client(stand_in, url, monkeypatch):
    """The portal's own calls, through its real HTTP transport."""
    monkeypatch.setenv("PORTAL_EMERGEPAY_URL", url)
    card = gateway_module.Gateway(DEMO_CREDS, "card", sleep=lambda _: None)
    ach = gateway_module.Gateway(DEMO_CREDS, "ach", sleep=lambda _: None)
    token = card.start()
    stand_in.authorize(token, dict(CARD_OK))
    sale = card.checkout(token, external_id="py-card", amount_cents=15000, idempotency_key="k1",
                         reference="C1001", billing_name="Rita Retail", billing_postal_code="62704")
    assert card.checkout(token, external_id="py-card", amount_cents=15000, idempotency_key="k1",
                         reference="C1001", billing_name="Rita Retail",
                         billing_postal_code="62704").raw == sale.raw
    with pytest.raises(gateway_module.GatewayUncertain):
        card.checkout(token, external_id="py-card", amount_cents=15100, idempotency_key="k1",
                      reference="C1001", billing_name="Rita Retail", billing_postal_code="62704")
    assert card.look_up("py-card").raw == sale.raw
    refund = card.tokenized_refund(unique_trans_id=sale.unique_trans_id, external_id="py-refund",
                                   amount_cents=4000, idempotency_key="k2", reference="py-card")
    token = ach.start()
    stand_in.authorize(token, dict(ACH_OK))
    ach_sale = ach.checkout(token, external_id="py-ach", amount_cents=2500, idempotency_key="k3",
                            reference="C1001", billing_name="Rita Retail",
                            billing_postal_code="62704", account_type="Savings")
    void = ach.void(unique_trans_id=ach_sale.unique_trans_id, external_id="py-ach",
                    idempotency_key="k4")
    ach_refund = ach.ach_refund(external_id="py-ach-refund", amount_cents=500,
                                account_holder_name="Rita Retail", routing_number="021000021",
                                account_number="000123456789", idempotency_key="k5")
    stand_in.control({"fail": {"status": 429, "count": 1, "path": "lookup"}})
    assert card.look_up("py-card").approved  # retried after the 429
    return {"sale": sale, "refund": refund, "ach": ach_sale, "void": void,
            "achRefund": ach_refund}


def test_the_node_sdk_and_the_portal_make_the_same_calls_with_the_same_shapes(
        sdk, emergepay_server, monkeypatch):
    stand_in, url = emergepay_server
    stand_in.reset()
    answers = run_sdk(sdk, url)
    sdk_requests = requests_made(stand_in)
    for name in ("sale", "lookup", "refund", "ach", "void", "achRefund"):
        assert RESULT_FIELDS <= set(answers[name]), name
        assert answers[name]["resultStatus"] == "true", (name, answers[name])
    assert answers["lookup"] == answers["sale"] and answers["replayIsFirstAnswer"] is True
    assert "different" in answers["conflict"]  # 409 for another body under the same key
    assert answers["rateLimited"] == 429
    assert answers["ach"]["transactionType"] == "AchSale"

    stand_in.reset()
    ours = run_python_client(stand_in, url, monkeypatch)
    assert requests_made(stand_in) == sdk_requests
    for name, result in ours.items():
        assert set(result.raw) == set(answers[name]), name
        assert result.approved
