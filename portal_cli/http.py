"""The admin API over HTTP: one `requests.Session`, timeouts, retries for idempotent calls.

The session is injectable (`ApiClient(session=...)`): tests mount a transport adapter that
hands each request to `chalice.test.Client`, so the CLI runs against the real app in-process.
"""

import json
import time

import requests

# (connect, read) seconds.  A batch of 500 invoices on a slow local stack takes seconds, not
# minutes; a read that waits longer than this has lost its server.
TIMEOUT = (10, 300)
RETRY_STATUSES = {429, 502, 503, 504}
USER_AGENT = "portal-cli/1"


class ApiError(Exception):
    """The API answered with an error, or could not be reached."""

    def __init__(self, status: int | None, error: str, message: str, body=None):
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.body = body

    def __str__(self):
        where = f"HTTP {self.status}" if self.status else "no answer"
        return f"{self.message} ({where}, {self.error})"


class ApiClient:
    def __init__(
        self, url: str, token: str | None, session=None, retries: int = 4, backoff: float = 0.5, sleep=time.sleep
    ):
        self.url = url.rstrip("/")
        self.token = token
        self.session = session if session is not None else requests.Session()
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep

    # ------------------------------------------------------------------ core
    def request(
        self,
        method: str,
        path: str,
        *,
        json_body=None,
        data: bytes | None = None,
        params=None,
        headers=None,
        idempotent: bool | None = None,
    ):
        """JSON answer of one call.  Idempotent calls (GET/PUT/DELETE, and any call marked
        so, like batch upserts whose `updated_at` makes a re-send harmless) are retried on
        connection errors, timeouts and 429/502/503/504; others are sent once."""
        if idempotent is None:
            idempotent = method in ("GET", "HEAD", "PUT", "DELETE")
        all_headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        if json_body is not None:
            data = json.dumps(json_body, separators=(",", ":")).encode()
            all_headers["Content-Type"] = "application/json"
        all_headers.update(headers or {})
        attempts = 1 + (self.retries if idempotent else 0)
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            try:
                response = self.session.request(
                    method, self.url + path, data=data, params=params, headers=all_headers, timeout=TIMEOUT
                )
            except (requests.ConnectionError, requests.Timeout) as error:
                if last:
                    raise ApiError(
                        None, "unreachable", f"cannot reach {self.url}: {error.__class__.__name__}: {error}"
                    ) from None
                self.sleep(self.backoff * 2 ** (attempt - 1))
                continue
            if response.status_code in RETRY_STATUSES and not last:
                wait = response.headers.get("Retry-After")
                self.sleep(float(wait) if wait and wait.isdigit() else self.backoff * 2 ** (attempt - 1))
                continue
            return self._answer(response)
        raise AssertionError("unreachable")

    @staticmethod
    def _answer(response):
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        if response.status_code >= 400:
            if isinstance(body, dict) and "message" in body:
                raise ApiError(response.status_code, str(body.get("error", "error")), str(body["message"]), body)
            text = response.text[:300] if response.content else response.reason
            raise ApiError(response.status_code, "http_error", text or "error")
        if body is None and response.content:
            raise ApiError(response.status_code, "not_json", "the API answered with something that is not JSON")
        return body

    def get(self, path, **params):
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None} or None)

    def post(self, path, body, idempotent=False):
        return self.request("POST", path, json_body=body, idempotent=idempotent)

    def patch(self, path, body):
        return self.request("PATCH", path, json_body=body)

    def put(self, path, body):
        return self.request("PUT", path, json_body=body)

    def delete(self, path):
        return self.request("DELETE", path)
