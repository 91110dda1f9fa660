"""Check a deployed stage from outside: `make smoke URL=https://portal.example.com STAGE=prod`.

    python -m infra.smoke https://portal.example.com --stage prod

1. the sign-in page answers 200 on the company's host and names the company;
2. it carries the security headers (HSTS on HTTPS, CSP, nosniff, frame and referrer policy);
3. the admin API's OpenAPI document answers JSON;
4. with --stage: the scheduled handlers ran lately (their newest log event, read
   with the caller's AWS credentials from the log groups infra/functions.py names).

Exits 1 with one line per failed check.
"""

import argparse
import json
import sys
import time
from collections.abc import Callable

SCHEDULED = {"ReconcilePayments": 5, "RepairArTotals": 15}  # function -> minutes between runs (app.py)
SECURITY_HEADERS = {
    "Content-Security-Policy": lambda v: "default-src 'self'" in v and "frame-ancestors 'none'" in v,
    "X-Content-Type-Options": lambda v: v.lower() == "nosniff",
    "X-Frame-Options": lambda v: v.upper() == "DENY",
    "Referrer-Policy": lambda v: bool(v),
}
HSTS_MIN_SECONDS = 31536000


def _hsts_ok(value: str) -> bool:
    for part in value.split(";"):
        name, _, seconds = part.strip().partition("=")
        if name.lower() == "max-age":
            return seconds.isdigit() and int(seconds) >= HSTS_MIN_SECONDS
    return False


def check_pages(url: str, get: Callable) -> list[str]:
    """Problems with the sign-in page and the OpenAPI document of `url` (none: all good)."""
    problems = []
    base = url.rstrip("/")
    try:
        login = get(f"{base}/login")
    except Exception as error:  # the report names it; the next checks may still run
        return [f"GET {base}/login failed: {error}"]
    if login.status_code == 404:
        problems.append("GET /login answered 404: the host is not a company's domain (`portal domain add`, then DNS)")
    elif login.status_code != 200:
        problems.append(f"GET /login answered {login.status_code}, not 200")
    elif "Sign in to" not in login.text:
        problems.append(
            "GET /login is not a company's sign-in page (no 'Sign in to <company>'): "
            "is the host registered with `portal domain add`?"
        )
    headers = login.headers
    for name, is_ok in SECURITY_HEADERS.items():
        if not is_ok(headers.get(name, "")):
            problems.append(f"/login: header {name} missing or weak: {headers.get(name)!r}")
    if base.startswith("https://") and not _hsts_ok(headers.get("Strict-Transport-Security", "")):
        problems.append("/login: Strict-Transport-Security missing or shorter than a year")
    try:
        document = get(f"{base}/api/v1/openapi.json")
        body = document.json() if document.status_code == 200 else {}
    except Exception as error:
        return problems + [f"GET /api/v1/openapi.json failed: {error}"]
    if document.status_code != 200 or "openapi" not in body or not body.get("paths"):
        problems.append(f"GET /api/v1/openapi.json answered {document.status_code} without an OpenAPI document")
    return problems


def check_schedules(stage: str, logs, now: float | None = None) -> list[str]:
    """Problems with the scheduled functions' last runs, from their newest log events."""
    from infra.functions import function_name

    now = time.time() if now is None else now
    problems = []
    for function, minutes in SCHEDULED.items():
        group = f"/aws/lambda/{function_name(stage, function)}"
        try:
            streams = logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", descending=True, limit=1)[
                "logStreams"
            ]
        except logs.exceptions.ResourceNotFoundException:
            problems.append(f"{group} does not exist: is stage {stage!r} deployed in this region?")
            continue
        last = streams[0].get("lastEventTimestamp") if streams else None
        if last is None:
            problems.append(f"{function} has never run ({group} is empty)")
        elif now - last / 1000 > 3 * minutes * 60:
            problems.append(
                f"{function} last ran {int((now - last / 1000) // 60)} minutes ago; it runs every {minutes} minutes"
            )
    return problems


def main(argv=None, get=None, logs=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="a company's portal URL, e.g. https://portal.example.com")
    parser.add_argument("--stage", help="also check the stage's scheduled functions (AWS credentials)")
    parser.add_argument("--timeout", type=float, default=15.0)
    args = parser.parse_args(argv)
    if get is None:
        import requests

        def get(address):
            return requests.get(address, timeout=args.timeout, allow_redirects=False)

    problems = check_pages(args.url, get)
    if args.stage:
        if logs is None:
            import boto3

            logs = boto3.client("logs")
        problems += check_schedules(args.stage, logs)
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    checked = "sign-in page, security headers, OpenAPI document" + (", scheduled functions" if args.stage else "")
    print(json.dumps({"url": args.url, "checked": checked, "problems": len(problems)}))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
