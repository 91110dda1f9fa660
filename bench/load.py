"""A bounded load run against the local stack: concurrent browsers, 0 5xx, 0 leaks.

    .venv/bin/python bench/load.py [--duration 60] [--browsers 20] [--think 0]
                                   [--url http://127.0.0.1:8000] [--seed 1]

Without --url it starts the local stack (`python -m infra.local.stack`) on free
ports, waits for it, and stops its process group at the end (its log is kept
and its error lines printed).  With --url it uses a stack already running there.

Each simulated browser is a thread with its own `requests.Session` (its own
cookie jar) and the Host header of its company (Python does not resolve
*.localhost).  Browsers are dealt round-robin to the demo logins of
infra/local/seed.py: retail and dealer on ABC, the two-company login on ABC and
on Pacific.  Each signs in (GET /login, POST with the form's CSRF token), then
loops without think time (unless --think): the home page, every page of the
menu the home page shows (in random order), one invoice detail linked from a
list page; after a page view, with a chance of 1 in --relogin-every, it signs
out through the page's logout form (a CSRF-checked POST) and signs in again.

Every response is checked:
- status: anything but the expected one is counted by status; 5xx must be 0;
- session: a page that bounces to /login while signed in is counted;
- isolation: the page's text (HTML entities decoded) must not contain any
  identifier of another seeded account (customer number, customer name,
  invoice numbers, demo user name and e-mail) outside this account's own.
  The lists come from the seed itself; a dealer's own identifiers include the
  customers whose invoices carry its dealer code.  PDFs are not fetched.

Latency is per request, client side (connect to last byte), overall and per
route (`/orders/W10000` counts as `/orders/{invoice_no}`).  The stack serves
one request at a time (infra/local/stack.py, OneRequestAtATime), so with no
think time the latency is mostly queueing behind the other browsers.
Exit status 1 on any 5xx or leak.
"""
import argparse
import html
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Dict, List
from urllib.parse import urlsplit

import _bench  # noqa: F401  (first: a moto-only environment for importing the seed)
import requests  # noqa: E402
from _bench import CSRF_FIELD, PROJECT_DIR

from infra.local import seed  # noqa: E402

# (login, company host) of the browsers, dealt round-robin.
LOGINS = [("retail@example.com", "localhost"), ("dealer@example.com", "localhost"),
          ("both@example.com", "localhost"), ("both@example.com", "pacific.localhost")]
PAGE_LINK = re.compile(r'href="(/[^"?#]*)"')
DETAIL_LINK = re.compile(r'href="(/(?:dealer/)?orders/[A-Z0-9-]+)"')
LOGOUT_FORM = re.compile(r'<form[^>]*action="/logout".*?</form>', re.S)
# Links of the menu that are not pages of this account's data.
NOT_VISITED = ("/static/", "/logout", "/dev/")


# ------------------------------------------------------------ who may see what
def _identifier_pattern(text: str) -> re.Pattern:
    """`text` as a whole word: C1001 must not match inside C10010."""
    return re.compile(r"(?<![\w@.])" + re.escape(text) + r"(?![\w@])")


@dataclass
class Account:
    """One login on one company: the identifiers its pages may and may not show."""
    login: str
    host: str
    customer_no: str
    own: List[str]
    forbidden: List[str]
    own_patterns: List[re.Pattern] = field(default_factory=list)
    forbidden_patterns: List[tuple] = field(default_factory=list)

    def __post_init__(self):
        self.own_patterns = [_identifier_pattern(t) for t in self.own]
        self.forbidden_patterns = [(t, _identifier_pattern(t)) for t in self.forbidden]

    def leaked(self, page_text: str) -> List[str]:
        """Other accounts' identifiers on the page, except inside one of ours: Pacific's
        "Bo's Bistro (Coast)" contains ABC's "Bo's Bistro" and is no leak on Pacific."""
        text = html.unescape(page_text)
        ours = [m.span() for pattern in self.own_patterns for m in pattern.finditer(text)]
        found = []
        for identifier, pattern in self.forbidden_patterns:
            for match in pattern.finditer(text):
                start, end = match.span()
                if not any(s <= start and end <= e for s, e in ours):
                    found.append(identifier)
                    break
        return found


def seeded_accounts() -> Dict[tuple, Account]:
    """(login, host) -> Account, from the records infra/local/seed.py writes."""
    invoices = (seed._abc_activity(seed._parts("abc", 300))
                + seed._pacific_activity(seed._parts("pacific", 250)))
    dealers = [r for r in invoices if type(r).__name__ == "Dealer"]
    invoices = [r for r in invoices if type(r).__name__ == "Invoice"]
    names = {(c, no): name for c, customers in seed.CUSTOMERS.items() for no, name, _ in customers}
    identifiers = {}  # (company, customer_no) -> its number, name and invoice numbers
    for (company, no), name in names.items():
        identifiers[(company, no)] = {no, name} | {
            i.invoice_no for i in invoices if i.company_id == company and i.customer_no == no}
    users = {address: {address, name} for address, name, _, _ in seed.DEMO_USERS}
    everything = set().union(*identifiers.values(), *users.values())

    accounts = {}
    for address, _, memberships, _ in seed.DEMO_USERS:
        for company, customer_no, _ in memberships:
            host = next(s["primary"] for s in seed.COMPANIES if s["company_id"] == company)
            if (address, host) not in LOGINS:
                continue
            own = set(identifiers[(company, customer_no)]) | users[address]
            # A dealer sees the invoices carrying its dealer code, and their customers.
            codes = {d.dealer_code for d in dealers if d.company_id == company
                     and customer_no in (d.linked_customer_nos or [])}
            for invoice in invoices:
                if invoice.company_id == company and invoice.dealer_code in codes:
                    own |= {invoice.invoice_no, invoice.customer_no,
                            names[(company, invoice.customer_no)]}
            accounts[(address, host)] = Account(address, host, customer_no, sorted(own),
                                                sorted(everything - own))
    return accounts


# ---------------------------------------------------------------- the browsers
@dataclass
class Result:
    route: str
    status: int
    seconds: float


class Tally:
    """What all browsers saw; one lock, appended to by every thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.results: List[Result] = []
        self.errors: List[str] = []  # "METHOD path -> status" of every unexpected answer
        self.leaks: List[str] = []
        self.signed_out = 0

    def add(self, result: Result):
        with self.lock:
            self.results.append(result)


def route_of(path: str) -> str:
    """/orders/W10000 -> /orders/{invoice_no}: latency per route, not per invoice."""
    return re.sub(r"^/(dealer/)?orders/[^/]+",
                  lambda m: f"/{m.group(1) or ''}orders/{{invoice_no}}", path)


class Browser(threading.Thread):
    def __init__(self, number: int, base: str, account: Account, tally: Tally, until: float,
                 think: float, relogin_every: int):
        super().__init__(name=f"browser-{number}", daemon=True)
        self.base, self.account, self.tally, self.until = base, account, tally, until
        self.think, self.relogin_every = think, relogin_every
        self.random = random.Random(number)
        port = urlsplit(base).port
        self.host = f"{account.host}:{port}" if port else account.host
        self.session = self._new_session()

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        session.headers.update({"Host": self.host, "User-Agent": "bench/load.py"})
        return session

    def _request(self, method: str, path: str, expect: int, check_leaks=True, **kwargs):
        started = time.perf_counter()
        try:
            response = self.session.request(method, self.base + path, allow_redirects=False,
                                            timeout=120, **kwargs)
        except requests.RequestException as error:
            with self.tally.lock:
                self.tally.errors.append(f"{method} {path} -> {type(error).__name__}")
            return None
        self.tally.add(Result(f"{method} {route_of(path)}", response.status_code,
                              time.perf_counter() - started))
        if response.status_code != expect:
            location = response.headers.get("location", "")
            with self.tally.lock:
                if location.startswith("/login"):
                    self.tally.signed_out += 1
                self.tally.errors.append(f"{method} {path} -> {response.status_code} {location}"
                                         f" [{self.account.login} on {self.account.host}]")
            return None
        if check_leaks:
            leaked = self.account.leaked(response.text)
            if leaked:
                with self.tally.lock:
                    self.tally.leaks.append(f"{method} {path} [{self.account.login} on "
                                            f"{self.account.host}, {self.account.customer_no}]:"
                                            f" {', '.join(leaked)}")
        return response

    def _post_form(self, path: str, page_html: str, fields: dict, expect: int):
        match = CSRF_FIELD.search(page_html)
        if not match:
            with self.tally.lock:
                self.tally.errors.append(f"POST {path} -> no CSRF token on the page")
            return None
        return self._request("POST", path, expect, check_leaks=False,
                             data={"csrf_token": match.group(1), **fields},
                             headers={"Origin": f"http://{self.host}"})

    def sign_in(self) -> bool:
        form = self._request("GET", "/login", 200, check_leaks=False)
        if form is None:
            return False
        answer = self._post_form("/login", form.text, {
            "login": self.account.login, "password": seed.DEMO_PASSWORD, "next": "/"}, 303)
        return answer is not None

    def sign_out(self, page_html: str) -> bool:
        form = LOGOUT_FORM.search(page_html)
        return self._post_form("/logout", form.group(0) if form else "", {}, 303) is not None

    def run(self):
        while time.monotonic() < self.until and not self.sign_in():
            time.sleep(1)  # counted as an error; try again
        while time.monotonic() < self.until:
            home = self._request("GET", "/", 200)
            if home is None:
                self.session = self._new_session()
                self.sign_in()
                continue
            pages = [p for p in sorted(set(PAGE_LINK.findall(home.text)))
                     if p != "/" and not p.startswith(NOT_VISITED)]
            self.random.shuffle(pages)
            details = []
            for path in pages:
                if time.monotonic() >= self.until:
                    return
                answer = self._request("GET", path, 200)
                if answer is not None:
                    details += DETAIL_LINK.findall(answer.text)
                    self._maybe_sign_in_again(answer.text)
                self._pause()
            if details and time.monotonic() < self.until:
                self._request("GET", self.random.choice(details), 200)

    def _maybe_sign_in_again(self, page_html: str):
        if self.random.randrange(self.relogin_every) == 0 and time.monotonic() < self.until:
            if self.sign_out(page_html):
                self.sign_in()

    def _pause(self):
        if self.think:
            time.sleep(self.random.uniform(0, 2 * self.think))


# ------------------------------------------------------------------- the stack
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_stack(log_path: str) -> tuple:
    """(process, base URL) of `python -m infra.local.stack` in its own process group."""
    port = free_port()
    env = dict(os.environ, PORT=str(port), MOTO_PORT=str(free_port()),
               EMERGEPAY_PORT=str(free_port()), POWERTOOLS_LOG_LEVEL="WARNING")
    log = open(log_path, "w")
    process = subprocess.Popen([sys.executable, "-m", "infra.local.stack"], cwd=PROJECT_DIR,
                               env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    deadline = time.monotonic() + 300  # seeding takes 15-60 s on a busy machine
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the stack exited ({process.returncode}); see {log_path}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return process, f"http://127.0.0.1:{port}"
        time.sleep(0.5)
    stop_stack(process)
    raise SystemExit(f"the stack did not answer within 300 s; see {log_path}")


def stop_stack(process: subprocess.Popen):
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


# -------------------------------------------------------------------- reporting
def percentile(sorted_values: List[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    index = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def latency_row(label: str, seconds: List[float]) -> str:
    values = sorted(seconds)
    ms = [1000 * percentile(values, f) for f in (0.50, 0.95, 0.99)]
    return f"  {label:<34} {len(values):>6} {ms[0]:>8.0f} {ms[1]:>8.0f} {ms[2]:>8.0f}"


def report(tally: Tally, wall: float, browsers: int, load_before, load_after) -> None:
    results = tally.results
    statuses = Counter(r.status for r in results)
    print(f"\n{len(results)} requests in {wall:.1f} s by {browsers} browsers: "
          f"{len(results) / wall:.1f} requests/s")
    print(f"load average (1, 5, 15 min): before {load_before[0]:.2f} {load_before[1]:.2f} "
          f"{load_before[2]:.2f}, after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}"
          f" ({os.cpu_count()} CPUs)")
    print("statuses: " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())))
    server_errors = sum(n for s, n in statuses.items() if s >= 500)
    print(f"5xx: {server_errors}   cross-session leaks: {len(tally.leaks)}   "
          f"unexpected answers: {len(tally.errors)} (bounced to /login: {tally.signed_out})")
    print(f"\n  {'latency, ms':<34} {'count':>6} {'p50':>8} {'p95':>8} {'p99':>8}")
    if results:
        print(latency_row("all requests", [r.seconds for r in results]))
    by_route = defaultdict(list)
    for r in results:
        by_route[r.route].append(r.seconds)
    for route in sorted(by_route):
        print(latency_row(route, by_route[route]))
    for title, lines in (("unexpected answers", tally.errors), ("leaks", tally.leaks)):
        if lines:
            print(f"\n{title} (first 20 of {len(lines)}):")
            for line, count in Counter(lines).most_common(20):
                print(f"  {count:>4} x {line}")


def error_lines(log_path: str) -> List[str]:
    with open(log_path, errors="replace") as log:
        return [line.rstrip() for line in log
                if '"level":"ERROR"' in line.replace(" ", "") or "Traceback" in line]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of page views")
    parser.add_argument("--browsers", type=int, default=20)
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean pause between page views, seconds (default none)")
    parser.add_argument("--relogin-every", type=int, default=25,
                        help="sign out and in again after 1 in this many page views")
    parser.add_argument("--url", help="a running local stack (default: start one)")
    parser.add_argument("--log", help="where the started stack logs (default: a temporary file)")
    args = parser.parse_args()

    accounts = seeded_accounts()
    process = None
    if args.url:
        base = args.url.rstrip("/")
    else:
        log_path = args.log or os.path.join(tempfile.mkdtemp(prefix="load-"), "stack.log")
        print("starting the local stack ...", flush=True)
        process, base = start_stack(log_path)
        print(f"stack on {base}, log {log_path}", flush=True)
    try:
        tally = Tally()
        load_before = os.getloadavg()
        started = time.monotonic()
        browsers = [Browser(n, base, accounts[LOGINS[n % len(LOGINS)]], tally,
                            started + args.duration, args.think, args.relogin_every)
                    for n in range(args.browsers)]
        for browser in browsers:
            browser.start()
        for browser in browsers:
            browser.join()
        wall = time.monotonic() - started
        report(tally, wall, args.browsers, load_before, os.getloadavg())
    finally:
        if process is not None:
            stop_stack(process)
    if process is not None:
        errors = error_lines(log_path)
        print(f"\nstack log {log_path}: {len(errors)} error lines")
        for line in errors[:10]:
            print("  " + line[:2000])
    server_errors = sum(1 for r in tally.results if r.status >= 500)
    return 1 if server_errors or tally.leaks else 0


if __name__ == "__main__":
    raise SystemExit(main())
