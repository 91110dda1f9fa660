"""Forgotten password: limits per address and per source IP, and the same work for
known and unknown addresses (chalicelib/services/password_reset.py)."""
import re

from chalicelib import dynamo_metrics
from chalicelib.services import password_reset
from tests.support import deliver_queued_mail, make_user, sent_mail, text


def ask(browser, address):
    browser.get("/forgot-password")
    calls = []
    response = browser.post("/forgot-password", {"email": address})
    calls = list(dynamo_metrics.current().operations)  # this request's DynamoDB calls
    return response, calls


def same_page(a, b) -> bool:
    def strip(response):
        return re.sub(r'value="[^"]+"|nonce="[^"]+"', "", text(response))
    return a.status_code == b.status_code == 200 and strip(a) == strip(b)


def test_at_most_three_reset_emails_per_address_per_hour(browser):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    answers = [ask(browser, "Rita@Example.com")[0] for _ in range(5)]
    resets = [m for m in sent_mail() if "new password" in m.subject]
    assert len(resets) == 3
    assert all(same_page(answers[0], later) for later in answers[1:])  # the same page


def test_the_address_limit_starts_again_after_an_hour(abc):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    start = 1_900_000_000
    queued = [password_reset.request(abc, "rita@example.com", "198.51.100.7", start + i)
              for i in range(4)]
    assert queued == [True, True, True, False]
    assert password_reset.request(abc, "rita@example.com", "198.51.100.7", start + 3601)
    assert len(sent_mail()) == 4


def test_one_source_ip_is_limited_across_addresses(abc):
    start = 1_900_000_000
    from_one_ip = [password_reset.request(abc, f"user{i}@example.com", "203.0.113.9", start + i)
                   for i in range(password_reset.IP_LIMIT + 2)]
    assert from_one_ip.count(True) == password_reset.IP_LIMIT
    assert from_one_ip[-2:] == [False, False]
    assert password_reset.request(abc, "user99@example.com", "203.0.113.10", start + 30)


def test_an_unknown_address_costs_the_same_dynamodb_calls_as_a_known_one(browser):
    make_user("rita@example.com", accounts=[("abc", "C1")])
    ask(browser, "warm-up@example.com")  # this IP's counter exists for both requests below
    known, known_calls = ask(browser, "rita@example.com")
    unknown, unknown_calls = ask(browser, "nobody@example.com")
    assert known_calls == unknown_calls and known_calls  # the same calls, in the same order
    assert all(table.endswith("throttles") for _, table in known_calls)
    assert same_page(known, unknown)
    assert sent_mail() and [m.destinations["ToAddresses"] for m in sent_mail()] == \
        [["rita@example.com"]]  # only the known address gets an e-mail


def test_the_answer_never_waits_for_ses(browser):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses import ses_backends
    make_user("rita@example.com", accounts=[("abc", "C1")])
    ask(browser, "rita@example.com")
    assert ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages == []  # only queued
    assert deliver_queued_mail().sent == 1
    assert "Choose a new password" in sent_mail()[-1].subject
