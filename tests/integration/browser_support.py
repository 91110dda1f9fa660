"""Helpers shared by the browser tests: contexts that watch the console, signing in, layout checks."""
import json
import re
import urllib.request
from pathlib import Path

import pytest

from infra.local.seed import DEMO_PASSWORD, LOCAL_PLATFORM_TOKEN

PROJECT_DIR = Path(__file__).resolve().parents[2]

ABC = "localhost"
PHONE_375 = {"width": 375, "height": 812}
DESKTOP_1280 = {"width": 1280, "height": 800}


class Contexts:
    """Fresh browser contexts for one test; their console errors must stay empty.

    A page that answers 404 on purpose logs "Failed to load resource" for
    itself: `allow_error(path)` expects that one.
    """

    def __init__(self, browser):
        self.browser, self.contexts, self.errors, self.allowed = browser, [], [], []

    def __call__(self, **options):
        context = self.browser.new_context(**options)
        context.set_default_timeout(10_000)
        context.on("console", self._console)
        self.contexts.append(context)
        return context

    def _console(self, message):
        if message.type == "error":
            self.errors.append((message.location.get("url") or "", message.text))

    def allow_error(self, path):
        self.allowed.append(path)

    def unexpected_errors(self):
        return [f"{url}: {text}" for url, text in self.errors
                if not any(url.endswith(path) for path in self.allowed)]

    def close(self):
        for context in self.contexts:
            context.close()


def base_url(stack, host=ABC):
    return f"http://{host}:{stack['port']}"


def sign_in(context, stack, login, host=ABC):
    page = context.new_page()
    page.goto(f"{base_url(stack, host)}/login")
    page.get_by_label("E-mail address or user name").fill(login)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{base_url(stack, host)}/")
    assert page.get_by_role("heading", name=re.compile("^Welcome")).is_visible()
    return page


def assert_no_horizontal_overflow(page):
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} scrolls sideways at {widths[1]} px: {widths}"


def card(frame):
    frame.get_by_label("Card number").fill("4111 1111 1111 1111")
    frame.get_by_label("Expiry (MM/YY)").fill("12/30")
    frame.get_by_label("Security code (CVV)").fill("123")


def local_dynamodb(stack):
    """A DynamoDB client on the stack's moto server, to check what was stored."""
    import boto3

    return boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{stack['moto_port']}",
                        region_name="us-east-1", aws_access_key_id="local",
                        aws_secret_access_key="local")


def erp_feed(stack, feed):
    """Every page of one admin-API feed of company abc (`payments`, `parts-orders`), as the ERP reads it."""
    items, cursor = [], None
    while True:
        url = f"{stack['url']}/api/v1/companies/abc/feeds/{feed}" + (f"?cursor={cursor}" if cursor else "")
        request = urllib.request.Request(url, headers={
            "Authorization": f"Bearer {LOCAL_PLATFORM_TOKEN}", "Host": "localhost"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            page = json.load(answer)
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


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
