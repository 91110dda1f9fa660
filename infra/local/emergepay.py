"""Local stand-in of the emergepay API and its hosted fields (local stage and tests only).

It lives under infra/ (never packaged: Chalice deploys app.py, chalicelib/ and
vendor/), and the app reaches it only through PORTAL_EMERGEPAY_URL, which the
gateway client honours in the local stage only.

Same endpoints and JSON shapes as the real API (see chalicelib/payments/gateway.py
for where they come from), under /virtualterminal/v1:

  POST /orgs/{oid}/transactions/start               → {"transactionToken"}
  PUT  /orgs/{oid}/transactions/checkout/{token}    → {"transactionResponse"}
  GET  /orgs/{oid}/transactions/{externalId}        → {"transactionResponse"} | 404 | 429
  PUT  /orgs/{oid}/transactions/void                → {"transactionResponse"}
  PUT  /orgs/{oid}/transactions/tokenizedRefund     → {"transactionResponse"}
  PUT  /orgs/{oid}/transactions/ach/refund          → {"transactionResponse"}

Idempotency: an `idempotency-key` is remembered per merchant and endpoint; the same
key with the same body answers the first answer again, another body answers 409.

Test data (README "Payments"):
  cards 4111 1111 1111 1111 (Visa), 5454 5454 5454 5454 (Mastercard) approve;
  4000 0000 0000 0002 declines; any amount ending in .51 declines;
  ACH account 000123456789 approves, account 999999999 declines; routing 021000021.

Switches (POST /_control, JSON; also `StandIn.control(...)` in-process):
  {"latency": 0.5}                                      every answer waits 0.5 s
  {"fail": {"status": 503, "count": 2, "path": "checkout"}}   next 2 matching calls answer 503 (or 429…);
                                                        paths: start, checkout, lookup, void, tokenizedRefund, ach/refund
  {"hang": {"count": 1, "path": "checkout", "after": true}}   process, then never answer in time
  {"hang": {"count": 1, "path": "checkout", "after": false}}  never answer, nothing processed
  {"settle": true}                                      every approved sale settles (no more voids)
  {"reset": true}                                       forget everything
GET /_state lists every transaction (tests check invariants with it).

Hosted fields: GET /cip-hosted-fields.js defines `emergepayFormFields.init({...})`
with the options the real script takes (transactionToken, transactionType,
fieldSetUp, onUserAuthorized, onFieldsLoaded, onFieldError) and returns an object
with `process()`.  It shows the card (number, expiry, CVV) or ACH (account,
routing, holder) fields in an iframe from this server's origin; the numbers go
from that iframe to this server only, and the page receives the token back.
"""

import hashlib
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

API_PREFIX = "/virtualterminal/v1"
HANG = object()  # "answer nothing": the HTTP server sleeps, the in-process transport times out

APPROVE_CARDS = {"4111111111111111": "Visa", "5454545454545454": "Mastercard", "4242424242424242": "Visa"}
DECLINE_CARDS = {"4000000000000002"}
APPROVE_ACCOUNTS = {"000123456789"}
DECLINE_ACCOUNTS = {"999999999"}


def _cents(amount) -> int:
    from decimal import Decimal

    return int((Decimal(str(amount)) * 100).to_integral_value())


def _amount(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


class StandIn:
    """The API's behaviour, without HTTP: `handle()` answers (status, body dict)."""

    def __init__(self):
        self.lock = threading.RLock()
        self.reset()

    def reset(self):
        with self.lock:
            self.tokens = {}  # token -> {"oid", "type", "entered": {...} | None, "used"}
            self.transactions = {}  # (oid, externalTransactionId) -> result dict (+ private keys)
            self.by_unique = {}  # uniqueTransId -> (oid, externalTransactionId)
            self.idempotent = {}  # (oid, endpoint, key) -> (body hash, status, body)
            self.latency = 0.0
            self.failures = []  # [{"status", "count", "path"}]
            self.hangs = []  # [{"count", "path", "after"}]
            self.settled = False
            self.calls = []  # (method, endpoint) log
            self.requests = []  # what each call sent: method, endpoint, fields, key

    # ------------------------------------------------------------- switches
    def control(self, command: dict) -> dict:
        with self.lock:
            if command.get("reset"):
                self.reset()
            if "latency" in command:
                self.latency = float(command["latency"])
            if command.get("fail"):
                self.failures.append(dict(command["fail"]))
            if command.get("hang"):
                self.hangs.append(dict(command["hang"]))
            if command.get("settle"):
                self.settled = True
                for record in self.transactions.values():
                    record["_settled"] = True
        return {"ok": True}

    def state(self) -> list:
        with self.lock:
            return [dict(r) for r in self.transactions.values()]

    def approved_sales(self) -> dict:
        """externalTransactionId -> result, for sales approved and not voided."""
        with self.lock:
            return {
                ext: dict(r)
                for (_, ext), r in self.transactions.items()
                if r["transactionType"] in ("CreditSale", "AchSale")
                and r["resultStatus"] == "true"
                and not r.get("_voided")
            }

    def _take(self, switches: list, endpoint: str) -> dict | None:
        for switch in switches:
            if switch.get("count", 1) > 0 and switch.get("path", endpoint) in endpoint:
                switch["count"] = switch.get("count", 1) - 1
                return switch
        return None

    # ------------------------------------------------------------ dispatch
    def handle(self, method: str, path: str, headers: dict, body: dict | None):
        headers = {k.lower(): v for k, v in headers.items()}
        if not path.startswith(API_PREFIX + "/orgs/"):
            return 404, {"message": "Not found"}
        match = re.fullmatch(r"/orgs/([^/]+)/transactions/(.+)", path[len(API_PREFIX) :])
        if not match:
            return 404, {"message": "Not found"}
        oid, rest = match.groups()
        endpoint = "lookup" if method == "GET" else (rest.split("/")[0] if not rest.startswith("ach/") else rest)
        if self.latency:
            time.sleep(self.latency)
        with self.lock:
            self.calls.append((method, endpoint))
            self.requests.append(
                {
                    "method": method,
                    "endpoint": endpoint,
                    "envelope": sorted(body) if isinstance(body, dict) else [],
                    "fields": sorted(((body or {}).get("transactionData") or {}).keys()),
                    "idempotency_key": bool(headers.get("idempotency-key")),
                }
            )
            if not headers.get("authorization", "").startswith("Bearer ") or len(headers["authorization"]) <= len(
                "Bearer "
            ):
                return 401, {"message": "Unauthorized"}
            failure = self._take(self.failures, endpoint)
            if failure:
                return int(failure["status"]), {"message": f"injected {failure['status']}"}
            hang = self._take(self.hangs, endpoint)
            if hang and not hang.get("after"):
                return HANG
            key = headers.get("idempotency-key")
            digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
            if key and method != "GET":
                seen = self.idempotent.get((oid, endpoint, key))
                if seen:
                    if seen[0] != digest:
                        return 409, {"message": "Idempotency key reused with a different request"}
                    answer = (seen[1], seen[2])
                    return HANG if hang else answer
            answer = self._route(method, oid, rest, body or {})
            if key and method != "GET" and answer[0] < 500:
                self.idempotent[(oid, endpoint, key)] = (digest, *answer)
            return HANG if hang else answer

    def _route(self, method, oid, rest, body):
        data = body.get("transactionData") or {}
        if method == "POST" and rest == "start":
            return self._start(oid, data)
        if method == "PUT" and rest.startswith("checkout/"):
            return self._checkout(oid, rest[len("checkout/") :], data)
        if method == "PUT" and rest == "void":
            return self._void(oid, data)
        if method == "PUT" and rest == "tokenizedRefund":
            return self._refund(oid, data)
        if method == "PUT" and rest == "ach/refund":
            return self._ach_refund(oid, data)
        if method == "GET" and "/" not in rest:
            record = self.transactions.get((oid, rest))
            if record is None:
                return 404, {"message": "Transaction not found"}
            return 200, {"transactionResponse": _public(record)}
        return 404, {"message": "Not found"}

    def _start(self, oid, data):
        kind = data.get("transactionType")
        if kind not in ("CreditSale", "AchSale") or data.get("method") != "hostedFields":
            return 400, {"message": "transactionType and method are required"}
        token = str(uuid.uuid4())
        self.tokens[token] = {"oid": oid, "type": kind, "entered": None, "used": False}
        return 200, {"transactionToken": token}

    def authorize(self, token: str, entered: dict):
        """What the hosted-fields iframe posts: the numbers, kept here only."""
        with self.lock:
            record = self.tokens.get(token)
            if record is None or record["used"]:
                return 400, {"message": "This payment form has expired. Reload the page."}
            problems = _validate(record["type"], entered)
            if problems:
                return 400, {"message": "Check the highlighted fields.", "fields": problems}
            record["entered"] = dict(entered)
            return 200, {"transactionToken": token}

    def _checkout(self, oid, token, data):
        record = self.tokens.get(token)
        ext = data.get("externalTransactionId")
        if record is None or record["oid"] != oid:
            return 400, {"message": "Invalid transaction token"}
        if not ext or not data.get("amount"):
            return 400, {"message": "externalTransactionId and amount are required"}
        if record["entered"] is None:
            return 400, {"message": "The customer has not entered payment details"}
        if record["used"] or (oid, ext) in self.transactions:
            return 400, {"message": "Transaction token or external id already used"}
        record["used"] = True
        entered = record["entered"]
        cents = _cents(data["amount"])
        if record["type"] == "CreditSale":
            number = entered["cardNumber"]
            approved = number in APPROVE_CARDS and cents % 100 != 51
            masked, card_type = "*" * 12 + number[-4:], APPROVE_CARDS.get(number, "Visa")
            expiry = entered.get("cardExpirationDate", "")
        else:
            number = entered["accountNumber"]
            approved = number not in DECLINE_ACCOUNTS and cents % 100 != 51
            masked, card_type, expiry = "*" * (len(number) - 4) + number[-4:], "Checking", ""
        result = self._record(
            oid,
            ext,
            record["type"],
            approved,
            cents,
            data,
            masked=masked,
            card_type=card_type,
            expiry=expiry,
            billing_name=data.get("billingName") or entered.get("accountHolderName", ""),
        )
        return 200, {"transactionResponse": _public(result)}

    def _record(self, oid, ext, kind, approved, cents, data, *, masked="", card_type="", expiry="", billing_name=""):
        unique = uuid.uuid4().hex[:20] if approved else ""
        result = {
            "externalTransactionId": ext,
            "transactionType": kind,
            "resultStatus": "true" if approved else "false",
            "resultMessage": "Approved" if approved else "Declined",
            "uniqueTransId": unique,
            "transactionReference": data.get("transactionReference", ""),
            "approvalNumberResult": f"{abs(hash(ext)) % 1000000:06d}" if approved else "",
            "amount": _amount(cents),
            "amountBalance": "",
            "amountProcessed": _amount(cents) if approved else "0.00",
            "amountTaxed": "0.00",
            "amountTipped": "0.00",
            "billingName": billing_name,
            "maskedAccount": masked,
            "accountCardType": card_type,
            "accountExpiryDate": expiry,
            "accountEntryMethod": "Keyed",
            "avsResponseCode": "",
            "avsResponseText": "",
            "cvvResponseCode": "",
            "cvvResponseText": "",
            "batchNumber": "0",
            "cashier": "",
            "_oid": oid,
            "_cents": cents,
            "_refunded": 0,
            "_voided": False,
            "_settled": self.settled,
        }
        self.transactions[(oid, ext)] = result
        if unique:
            self.by_unique[unique] = (oid, ext)
        return result

    def _original(self, oid, data):
        key = self.by_unique.get(data.get("uniqueTransId") or "")
        if key is None or key[0] != oid:
            return None
        original = self.transactions[key]
        if data.get("externalTransactionId") not in (None, "") and original["transactionType"] in (
            "CreditSale",
            "AchSale",
        ):
            return original
        return None

    def _void(self, oid, data):
        original = self._original(oid, data)
        if original is None or data.get("externalTransactionId") != original["externalTransactionId"]:
            return 400, {"message": "Transaction not found for void"}
        if original["_settled"] or original["_refunded"]:
            return 200, {
                "transactionResponse": dict(
                    _public(original),
                    resultStatus="false",
                    resultMessage="Transaction already settled",
                    transactionType="Void",
                )
            }
        original["_voided"] = True
        return 200, {"transactionResponse": dict(_public(original), transactionType="Void", resultMessage="Voided")}

    def _refund(self, oid, data):
        original = self._original(oid, data)
        ext = data.get("externalTransactionId")
        if original is None or not data.get("amount") or not ext:
            return 400, {"message": "uniqueTransId, amount and externalTransactionId are required"}
        if (oid, ext) in self.transactions:
            return 400, {"message": "External transaction id already used"}
        cents = _cents(data["amount"])
        room = original["_cents"] - original["_refunded"]
        approved = not original["_voided"] and 0 < cents <= room
        kind = "CreditReturn" if original["transactionType"] == "CreditSale" else "AchReturn"
        if approved:
            original["_refunded"] += cents
        result = self._record(
            oid,
            ext,
            kind,
            approved,
            cents,
            data,
            masked=original["maskedAccount"],
            card_type=original["accountCardType"],
            billing_name=original["billingName"],
        )
        return 200, {"transactionResponse": _public(result)}

    def _ach_refund(self, oid, data):
        ext = data.get("externalTransactionId")
        needed = ("amount", "externalTransactionId", "accountHolderName", "routingNumber", "accountNumber")
        if not all(data.get(k) for k in needed):
            return 400, {"message": "Missing " + ", ".join(k for k in needed if not data.get(k))}
        if (oid, ext) in self.transactions:
            return 400, {"message": "External transaction id already used"}
        number = data["accountNumber"]
        result = self._record(
            oid,
            ext,
            "AchReturn",
            number not in DECLINE_ACCOUNTS,
            _cents(data["amount"]),
            data,
            masked="*" * (len(number) - 4) + number[-4:],
            card_type=data.get("accountType", "Checking"),
            billing_name=data["accountHolderName"],
        )
        return 200, {"transactionResponse": _public(result)}


def _public(record: dict) -> dict:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def _luhn(number: str) -> bool:
    digits = [int(d) for d in number][::-1]
    total = sum(digits[0::2]) + sum(sum(divmod(d * 2, 10)) for d in digits[1::2])
    return total % 10 == 0


def _validate(kind: str, entered: dict) -> dict:
    problems = {}
    if kind == "CreditSale":
        number = re.sub(r"[\s-]", "", entered.get("cardNumber", ""))
        entered["cardNumber"] = number
        if not (number.isdigit() and 13 <= len(number) <= 19 and _luhn(number)):
            problems["cardNumber"] = "Enter a valid card number."
        if not re.fullmatch(r"(0[1-9]|1[0-2])\s*/?\s*\d{2}", entered.get("cardExpirationDate", "").strip()):
            problems["cardExpirationDate"] = "Enter the expiry date as MM/YY."
        if not re.fullmatch(r"\d{3,4}", entered.get("cardSecurityCode", "").strip()):
            problems["cardSecurityCode"] = "Enter the 3 or 4 digit security code."
    else:
        if not re.fullmatch(r"\d{4,17}", entered.get("accountNumber", "").strip()):
            problems["accountNumber"] = "Enter the account number (digits only)."
        if not re.fullmatch(r"\d{9}", entered.get("routingNumber", "").strip()):
            problems["routingNumber"] = "Enter the 9-digit routing number."
        if not entered.get("accountHolderName", "").strip():
            problems["accountHolderName"] = "Enter the account holder's name."
    return problems


# ------------------------------------------------------------ in-process use
class InProcessTransport:
    """A gateway transport that calls the stand-in directly (tests)."""

    def __init__(self, stand_in: StandIn):
        self.stand_in = stand_in

    def __call__(self, method, url, headers, body, timeout):
        from chalicelib.payments.gateway import TransportTimeout

        path = urlsplit(url).path
        answer = self.stand_in.handle(method, path, headers, json.loads(json.dumps(body)) if body is not None else None)
        if answer is HANG:
            raise TransportTimeout("stand-in: no answer in time")
        return answer


# ------------------------------------------------------------------- HTTP
FRAME_HTML = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Payment details</title><style>
body{font:16px system-ui,sans-serif;margin:0;padding:2px}label{display:block;font-weight:600;margin:.5rem 0 .2rem}
input{font:inherit;padding:.45rem;border:1px solid #666;border-radius:4px;width:100%;box-sizing:border-box;max-width:22rem}
.error{color:#b00020;font-size:.9rem;margin:.2rem 0}.row{margin-bottom:.4rem}
</style></head><body><form id="f" novalidate>__FIELDS__</form><script>
const token = __TOKEN__, parentOrigin = __ORIGIN__;
function send(msg){ parent.postMessage(msg, parentOrigin); }
window.addEventListener("message", async (event) => {
  if (event.origin !== parentOrigin || !event.data || event.data.type !== "process") return;
  const entered = {token};
  for (const input of document.querySelectorAll("input")) entered[input.name] = input.value;
  for (const el of document.querySelectorAll(".error")) el.textContent = "";
  const answer = await fetch("/hosted-fields/authorize", {method: "POST",
    headers: {"Content-Type": "application/json"}, body: JSON.stringify(entered)});
  const data = await answer.json();
  if (answer.ok) { send({type: "authorized", transactionToken: data.transactionToken}); return; }
  for (const [name, text] of Object.entries(data.fields || {})) {
    document.getElementById("e-" + name).textContent = text;
    document.getElementById(name).setAttribute("aria-invalid", "true");
  }
  send({type: "error", message: data.message, fields: data.fields || {}});
});
send({type: "loaded", height: document.body.scrollHeight + 8});
</script></body></html>"""

CARD_FIELDS = [
    ("cardNumber", "Card number", "cc-number", "numeric"),
    ("cardExpirationDate", "Expiry (MM/YY)", "cc-exp", "numeric"),
    ("cardSecurityCode", "Security code (CVV)", "cc-csc", "numeric"),
]
ACH_FIELDS = [
    ("accountHolderName", "Account holder name", "name", "text"),
    ("routingNumber", "Routing number", "off", "numeric"),
    ("accountNumber", "Account number", "off", "numeric"),
]

SCRIPT = r"""// Local stand-in of emergepay's cip-hosted-fields.js (same init options and process()).
(function () {
  var ORIGIN = __ORIGIN__;
  window.emergepayFormFields = {
    init: function (options) {
      var setup = options.fieldSetUp || {};
      var first = null;
      for (var name in setup) {
        if (setup[name] && setup[name].useField !== false && setup[name].appendToSelector) {
          first = document.getElementById(setup[name].appendToSelector);
          if (first) break;
        }
      }
      var frame = document.createElement("iframe");
      frame.title = options.transactionType === "AchSale" ? "Bank account details" : "Card details";
      frame.style.border = "0"; frame.style.width = "100%"; frame.style.minHeight = "220px";
      frame.src = ORIGIN + "/hosted-fields/frame?token=" + encodeURIComponent(options.transactionToken) +
        "&type=" + encodeURIComponent(options.transactionType) +
        "&origin=" + encodeURIComponent(window.location.origin);
      (first || document.body).appendChild(frame);
      window.addEventListener("message", function (event) {
        if (event.origin !== ORIGIN || event.source !== frame.contentWindow || !event.data) return;
        var data = event.data;
        if (data.type === "loaded") {
          if (data.height) frame.style.height = data.height + "px";
          if (options.onFieldsLoaded) options.onFieldsLoaded();
        } else if (data.type === "authorized") {
          options.onUserAuthorized(data.transactionToken);
        } else if (data.type === "error" && options.onFieldError) {
          options.onFieldError(data);
        }
      });
      return { process: function () { frame.contentWindow.postMessage({type: "process"}, ORIGIN); } };
    }
  };
})();
"""


def frame_page(token: str, kind: str, parent_origin: str) -> str:
    import html

    fields = CARD_FIELDS if kind == "CreditSale" else ACH_FIELDS
    rows = "".join(
        f'<div class="row"><label for="{n}">{html.escape(label)}</label>'
        f'<input id="{n}" name="{n}" autocomplete="{auto}" inputmode="{mode}" '
        f'aria-describedby="e-{n}"><p class="error" id="e-{n}" role="alert"></p></div>'
        for n, label, auto, mode in fields
    )
    return (
        FRAME_HTML.replace("__FIELDS__", rows)
        .replace("__TOKEN__", json.dumps(token))
        .replace("__ORIGIN__", json.dumps(parent_origin))
    )


def make_handler(stand_in: StandIn, hang_seconds: float = 30.0):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def _send(self, status, body, content_type="application/json"):
            raw = (
                body
                if isinstance(body, bytes)
                else (json.dumps(body).encode() if content_type == "application/json" else body.encode())
            )
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(raw)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(raw)

        def _body(self):
            length = int(self.headers.get("Content-Length") or 0)
            if not length:
                return None
            try:
                return json.loads(self.rfile.read(length))
            except ValueError:
                return {}

        def _api(self, method):
            body = self._body() if method != "GET" else None
            answer = stand_in.handle(method, urlsplit(self.path).path, dict(self.headers), body)
            if answer is HANG:
                time.sleep(hang_seconds)
                self.close_connection = True
                return
            self._send(*answer)

        def _origin(self):
            return f"http://{self.headers.get('Host', '127.0.0.1')}"

        def do_GET(self):
            parts = urlsplit(self.path)
            if parts.path == "/cip-hosted-fields.js":
                return self._send(
                    200, SCRIPT.replace("__ORIGIN__", json.dumps(self._origin())), "application/javascript"
                )
            if parts.path == "/hosted-fields/frame":
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                return self._send(
                    200,
                    frame_page(query.get("token", ""), query.get("type", "CreditSale"), query.get("origin", "")),
                    "text/html; charset=utf-8",
                )
            if parts.path == "/_state":
                return self._send(200, {"transactions": stand_in.state()})
            self._api("GET")

        def do_POST(self):
            path = urlsplit(self.path).path
            if path == "/_control":
                return self._send(200, stand_in.control(self._body() or {}))
            if path == "/hosted-fields/authorize":
                entered = self._body() or {}
                return self._send(*stand_in.authorize(str(entered.pop("token", "")), entered))
            self._api("POST")

        def do_PUT(self):
            self._api("PUT")

    return Handler


def serve(port: int, host: str = "127.0.0.1", stand_in: StandIn | None = None):
    """Start the stand-in on a daemon thread; returns (server, stand_in)."""
    stand_in = stand_in or StandIn()
    server = ThreadingHTTPServer((host, port), make_handler(stand_in))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True, name="emergepay").start()
    return server, stand_in


if __name__ == "__main__":
    import sys

    chosen = int(sys.argv[1]) if len(sys.argv) > 1 else 5066
    serve(chosen)
    print(f"emergepay stand-in on http://127.0.0.1:{chosen}{API_PREFIX}", flush=True)
    threading.Event().wait()
