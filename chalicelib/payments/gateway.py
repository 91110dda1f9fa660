"""emergepay (Gravity Payments) REST client: start, checkout, look-up, void, refunds.

Shapes follow Gravity's official Node SDK (`emergepay-sdk` 1.15.3 on npm,
dist/emergepaySdk.js, read when this was written) and Gravity's public developer docs:

- base URL `…/virtualterminal/v1`, `Authorization: Bearer <authToken>`, JSON bodies;
- start:    POST /orgs/{oid}/transactions/start
            {"transactionData": {"transactionType", "method": "hostedFields", "submissionType": "manual"}}
            → {"transactionToken": "…"}
- checkout: PUT  /orgs/{oid}/transactions/checkout/{transactionToken}
            {"transactionData": {"externalTransactionId", "amount", …}} → {"transactionResponse": {…}}
- look-up:  GET  /orgs/{oid}/transactions/{externalTransactionId} → {"transactionResponse": {…}};
            the SDK turns HTTP 429 into "Rate limit exceeded"
- void:     PUT  /orgs/{oid}/transactions/void {"transactionData": {"uniqueTransId", "externalTransactionId"}}
- refund:   PUT  /orgs/{oid}/transactions/tokenizedRefund
            {"transactionData": {"uniqueTransId", "amount", "externalTransactionId"}}
- ACH refund: PUT /orgs/{oid}/transactions/ach/refund {"transactionData": {"amount",
            "externalTransactionId", "accountHolderName", "routingNumber", "accountNumber", …}}
- every money-moving call may carry an `idempotency-key` header (the SDK's
  `configureHeaders`); the API honours it per endpoint for 24 h.

Approval is decided from `resultStatus` (the string "true"), never from the message.

Retries only where safe: look-ups and starts (no money moves) are retried on
timeouts, 5xx and 429; money-moving calls carry an idempotency key and are retried
only when the request cannot have been processed (no connection made) or was refused
before processing (429, 502, 503, 504).  A read timeout on a money-moving call is
left undecided (`GatewayUncertain`): the payment stays `pending` and the reconciler
resolves it by look-up.

`requests` is imported lazily (keeps `import app` light); the transport is
injectable so tests drive the local stand-in in-process or inject faults.
"""

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import quote, urlsplit

from .. import config
from . import credentials as credentials_store

SANDBOX_URL = "https://api.emergepay-sandbox.chargeitpro.com/virtualterminal/v1"
PRODUCTION_URL = "https://api.emergepay.chargeitpro.com/virtualterminal/v1"
SANDBOX_ASSETS = "https://assets.emergepay-sandbox.chargeitpro.com"
PRODUCTION_ASSETS = "https://assets.emergepay.chargeitpro.com"
HOSTED_FIELDS_SCRIPT = "cip-hosted-fields.js"
LOCAL_URL_VARIABLE = "PORTAL_EMERGEPAY_URL"  # the local stand-in; honoured in the local stage only

TRANSACTION_TYPES = {"card": "CreditSale", "ach": "AchSale"}
CONNECT_TIMEOUT = 3.05
READ_TIMEOUT = 20.0  # checkout answers synchronously; API Gateway gives the page 29 s
LOOKUP_READ_TIMEOUT = 8.0
RETRYABLE_STATUSES = {429, 502, 503, 504}


class GatewayError(Exception):
    """The gateway answered and refused: nothing was processed."""

    def __init__(self, message: str, status: int = 0):
        super().__init__(message)
        self.status = status


class NotFound(GatewayError):
    """Look-up: the gateway has no transaction with this external id."""


class GatewayUncertain(Exception):
    """No usable answer (timeout, connection lost, 5xx, 409 conflict): the outcome
    of a money-moving call is unknown and must be found by look-up."""

    def __init__(self, message: str, status: int = 0):
        super().__init__(message)
        self.status = status


class NotConfigured(Exception):
    """The company has no credentials for this payment method."""


class TransportTimeout(Exception):
    """The request was sent but no answer came in time."""


class TransportNotSent(Exception):
    """No connection could be made: the request never reached the gateway."""


# transport(method, url, headers, body, timeout) -> (status, parsed JSON or None)
Transport = Callable[[str, str, dict, dict | None, tuple], tuple]


def requests_transport(method: str, url: str, headers: dict, body: dict | None, timeout: tuple) -> tuple:
    import requests  # deferred: only payment requests need it

    try:
        answer = requests.request(method, url, headers=headers, json=body, timeout=timeout)
    except requests.exceptions.ConnectTimeout as error:
        raise TransportNotSent(str(error)) from error
    except requests.exceptions.ConnectionError as error:
        # A refused connection never sent anything; a reset mid-way may have.
        cause = str(error)
        if "NewConnectionError" in cause or "Connection refused" in cause:
            raise TransportNotSent(cause) from error
        raise TransportTimeout(cause) from error
    except requests.exceptions.Timeout as error:
        raise TransportTimeout(str(error)) from error
    try:
        data = answer.json() if answer.content else None
    except ValueError:
        data = None
    return answer.status_code, data


@dataclass
class Result:
    """A `transactionResponse` (TransactionResult in the SDK's typings)."""

    raw: dict = field(default_factory=dict)

    @property
    def approved(self) -> bool:
        return str(self.raw.get("resultStatus", "")).lower() == "true"

    @property
    def unique_trans_id(self) -> str | None:
        return self.raw.get("uniqueTransId") or None

    @property
    def external_id(self) -> str | None:
        return self.raw.get("externalTransactionId") or None

    @property
    def message(self) -> str:
        return str(self.raw.get("resultMessage") or "")

    @property
    def masked_account(self) -> str | None:
        return self.raw.get("maskedAccount") or None

    @property
    def approval_number(self) -> str | None:
        return self.raw.get("approvalNumberResult") or None

    @property
    def card_type(self) -> str | None:
        return self.raw.get("accountCardType") or None


def amount_text(cents: int) -> str:
    """The API takes amounts as decimal strings ("123.45")."""
    return f"{Decimal(int(cents)) / 100:.2f}"


def to_cents(value) -> int:
    return int((Decimal(str(value)) * 100).to_integral_value())


def base_url(environment: str) -> str:
    if config.is_local() and os.environ.get(LOCAL_URL_VARIABLE):
        return os.environ[LOCAL_URL_VARIABLE].rstrip("/")
    return PRODUCTION_URL if environment == "production" else SANDBOX_URL


def assets_base(environment: str) -> str:
    """Where the hosted-fields script comes from (its origin goes into the CSP)."""
    if config.is_local() and os.environ.get(LOCAL_URL_VARIABLE):
        parts = urlsplit(os.environ[LOCAL_URL_VARIABLE])
        return f"{parts.scheme}://{parts.netloc}"
    return PRODUCTION_ASSETS if environment == "production" else SANDBOX_ASSETS


def asset_origins() -> list:
    """Origins the CSP must allow for scripts and frames of the hosted fields."""
    if config.is_local():
        return [assets_base("sandbox")] if os.environ.get(LOCAL_URL_VARIABLE) else []
    return [SANDBOX_ASSETS, PRODUCTION_ASSETS]


class Gateway:
    """One merchant (company + method): its oid, token and environment."""

    def __init__(
        self,
        creds: credentials_store.GatewayCredentials,
        method: str,
        transport: Transport | None = None,
        sleep=time.sleep,
        attempts: int = 3,
    ):
        self.creds = creds
        self.method = method
        self.transport = transport or requests_transport
        self.sleep = sleep
        self.attempts = attempts
        self.url = base_url(creds.environment)

    @property
    def transaction_type(self) -> str:
        return TRANSACTION_TYPES[self.method]

    @property
    def script_url(self) -> str:
        return f"{assets_base(self.creds.environment)}/{HOSTED_FIELDS_SCRIPT}"

    # ---------------------------------------------------------------- calls
    def start(self) -> str:
        body = {
            "transactionData": {
                "transactionType": self.transaction_type,
                "method": "hostedFields",
                "submissionType": "manual",
            }
        }
        data = self._call("POST", self._path("transactions/start"), body, safe=True)
        token = (data or {}).get("transactionToken")
        if not token:
            raise GatewayUncertain("start answered without a transaction token")
        return token

    def checkout(
        self,
        transaction_token: str,
        *,
        external_id: str,
        amount_cents: int,
        idempotency_key: str,
        reference: str = "",
        billing_name: str = "",
        billing_postal_code: str = "",
        account_type: str | None = None,
    ) -> Result:
        data = {"externalTransactionId": external_id, "amount": amount_text(amount_cents)}
        for key, value in (
            ("transactionReference", reference),
            ("billingName", billing_name),
            ("billingPostalCode", billing_postal_code),
        ):
            if value:
                data[key] = value
        if self.method == "ach" and account_type:
            data["accountType"] = account_type
        path = self._path(f"transactions/checkout/{quote(transaction_token, safe='')}")
        return self._result(self._call("PUT", path, {"transactionData": data}, idempotency_key=idempotency_key))

    def look_up(self, external_id: str) -> Result:
        path = self._path(f"transactions/{quote(external_id, safe='')}")
        return self._result(self._call("GET", path, None, safe=True, read_timeout=LOOKUP_READ_TIMEOUT))

    def void(self, *, unique_trans_id: str, external_id: str, idempotency_key: str) -> Result:
        body = {"transactionData": {"uniqueTransId": unique_trans_id, "externalTransactionId": external_id}}
        return self._result(self._call("PUT", self._path("transactions/void"), body, idempotency_key=idempotency_key))

    def tokenized_refund(
        self, *, unique_trans_id: str, external_id: str, amount_cents: int, idempotency_key: str, reference: str = ""
    ) -> Result:
        data = {
            "uniqueTransId": unique_trans_id,
            "amount": amount_text(amount_cents),
            "externalTransactionId": external_id,
        }
        if reference:
            data["transactionReference"] = reference
        return self._result(
            self._call(
                "PUT",
                self._path("transactions/tokenizedRefund"),
                {"transactionData": data},
                idempotency_key=idempotency_key,
            )
        )

    def ach_refund(
        self,
        *,
        external_id: str,
        amount_cents: int,
        account_holder_name: str,
        routing_number: str,
        account_number: str,
        idempotency_key: str,
        account_type: str = "Checking",
    ) -> Result:
        """ACH refund to a bank account given in full (the SDK's achRefundTransaction).

        The portal never holds bank numbers (hosted fields), so refunds of portal
        ACH payments use `tokenized_refund` with the sale's uniqueTransId; this call
        is for an operator who has the account details from the ERP.
        """
        data = {
            "amount": amount_text(amount_cents),
            "externalTransactionId": external_id,
            "accountHolderName": account_holder_name,
            "routingNumber": routing_number,
            "accountNumber": account_number,
            "accountType": account_type,
        }
        return self._result(
            self._call(
                "PUT", self._path("transactions/ach/refund"), {"transactionData": data}, idempotency_key=idempotency_key
            )
        )

    # ------------------------------------------------------------ plumbing
    def _path(self, tail: str) -> str:
        return f"{self.url}/orgs/{quote(self.creds.oid, safe='')}/{tail}"

    def _result(self, data) -> Result:
        response = (data or {}).get("transactionResponse")
        if not isinstance(response, dict):
            raise GatewayUncertain("answer without a transactionResponse")
        return Result(response)

    def _call(
        self,
        method: str,
        url: str,
        body: dict | None,
        *,
        safe: bool = False,
        idempotency_key: str | None = None,
        read_timeout: float = READ_TIMEOUT,
    ):
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.creds.auth_token}"}
        if idempotency_key:
            headers["idempotency-key"] = idempotency_key
        last: Exception = GatewayUncertain("no attempt made")
        for attempt in range(self.attempts):
            if attempt:
                self.sleep(min(0.25 * 2**attempt, 2.0))
            try:
                status, data = self.transport(method, url, headers, body, (CONNECT_TIMEOUT, read_timeout))
            except TransportNotSent as error:
                last = GatewayUncertain(f"gateway unreachable: {error}")
                continue  # nothing was sent: always safe to try again
            except TransportTimeout as error:
                last = GatewayUncertain(f"gateway did not answer in time: {error}")
                if safe:
                    continue
                raise last from error
            if 200 <= status < 300:
                return data
            message = _message(data, status)
            if status == 404:
                raise NotFound(message, status)
            if status in RETRYABLE_STATUSES or (safe and status >= 500):
                last = GatewayUncertain(message, status)
                continue
            if status == 409 or status >= 500:
                # 409: this key was used with another body (or is still running);
                # 5xx: it may have been processed.  Only a look-up can tell.
                raise GatewayUncertain(message, status)
            raise GatewayError(message, status)
        raise last


def _message(data, status: int) -> str:
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])[:300]
    return f"HTTP {status}" + (f": {json.dumps(data)[:200]}" if data else "")


def for_company(company_id: str, method: str, *, transport: Transport | None = None, sleep=time.sleep) -> Gateway:
    """The gateway of one company's method; NotConfigured without credentials."""
    if method not in credentials_store.METHODS:
        raise NotConfigured(method)
    creds = credentials_store.load(company_id, method)
    if creds is None:
        raise NotConfigured(method)
    return Gateway(creds, method, transport=transport, sleep=sleep)
