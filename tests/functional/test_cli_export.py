"""`portal export` in-process against the real app: paging, --ack, nothing ever lost."""
import csv
import json
from datetime import timedelta

import pytest

from tests.cli_support import ChaliceTransport, Portal, make_api_token
from tests.support import NOW


@pytest.fixture
def token(acme):
    return make_api_token("company", "acme")


@pytest.fixture
def payments(acme):
    """Seven approved portal payments waiting in the ERP feed."""
    from chalicelib.models import Payment
    from chalicelib.repositories.keys import account_pk

    ids = []
    for n in range(7):
        payment_id = f"0000000000{n:02d}feedfeed{n:04d}"
        Payment("acme", payment_id, customer_no="A1001", customer_pk=account_pk("acme", "A1001"),
                user_id="u-1", method="card", status="approved", amount_cents=1000 + n,
                allocations={"INV-50001": 1000 + n}, feed_company="acme",
                created_at=NOW + timedelta(minutes=n), updated_at=NOW + timedelta(minutes=n)
                ).save()
        ids.append(payment_id)
    return ids


def ids_in_jsonl(path):
    return [json.loads(line).get("payment_id") or json.loads(line).get("id")
            for line in path.read_text().splitlines() if line.strip()]


def test_export_pages_through_the_feed_and_ack_empties_it(client, token, payments, tmp_path):
    portal = Portal(client, token=token)
    out = tmp_path / "payments.jsonl"
    result = portal("export", "payments", "--company", "acme", "--ack", "--limit", "3",
                    "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(ids_in_jsonl(out)) == payments
    assert "7 payments item(s) written" in result.stderr and "7 acknowledged" in result.stderr

    again = portal("export", "payments", "--company", "acme", "--ack")
    assert again.exit_code == 0
    assert again.stdout == ""  # an acknowledged item never comes back


def test_without_ack_the_items_stay_in_the_feed(client, token, payments):
    portal = Portal(client, token=token)
    for _ in range(2):
        result = portal("export", "payments", "--company", "acme", "--limit", "5")
        assert result.exit_code == 0, result.output
        assert len(result.stdout.splitlines()) == 7


def test_csv_export_has_a_header_and_one_row_per_item(client, token, payments, tmp_path):
    out = tmp_path / "payments.csv"
    result = Portal(client, token=token)("export", "payments", "--company", "acme",
                                         "--format", "csv", "--out", out)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 7
    assert {row.get("payment_id") or row.get("id") for row in rows} == set(payments)


def test_a_lost_ack_loses_nothing_the_items_come_again(client, token, payments, tmp_path):
    # Acks fail after the first one: page 1 is acknowledged, page 2 is written but not.
    broken = ChaliceTransport(client, fail_after=1, fail_on=("POST", "/ack"))
    first = tmp_path / "first.jsonl"
    result = Portal(client, token=token, transport=broken)(
        "export", "payments", "--company", "acme", "--ack", "--limit", "3", "--out", first)
    assert result.exit_code == 1
    assert len(ids_in_jsonl(first)) == 6  # written before the failed ack

    second = tmp_path / "second.jsonl"
    result = Portal(client, token=token)("export", "payments", "--company", "acme", "--ack",
                                         "--out", second)
    assert result.exit_code == 0, result.output
    exported = set(ids_in_jsonl(first)) | set(ids_in_jsonl(second))
    assert exported == set(payments)  # every item reached a file
    assert set(ids_in_jsonl(second)) == set(payments[3:])  # only unacknowledged came again


def test_items_that_could_not_be_written_are_not_acknowledged(client, token, payments):
    # /dev/full accepts the open and fails the write: nothing may be acknowledged.
    portal = Portal(client, token=token)
    result = portal("export", "payments", "--company", "acme", "--ack", "--out", "/dev/full")
    assert result.exit_code != 0
    after = portal("export", "payments", "--company", "acme")
    assert len(after.stdout.splitlines()) == 7


def test_an_existing_export_file_is_not_overwritten(client, token, payments, tmp_path):
    out = tmp_path / "payments.jsonl"
    out.write_text('{"payment_id": "from-yesterday"}\n')
    portal = Portal(client, token=token)
    refused = portal("export", "payments", "--company", "acme", "--ack", "--out", out)
    assert refused.exit_code == 1
    assert "exists" in refused.stderr
    appended = portal("export", "payments", "--company", "acme", "--ack", "--out", out,
                      "--append")
    assert appended.exit_code == 0, appended.output
    assert ids_in_jsonl(out)[0] == "from-yesterday" and len(ids_in_jsonl(out)) == 8


def test_orders_and_service_requests_feeds_export(client, token):
    portal = Portal(client, token=token)
    for feed in ("orders", "service-requests"):
        result = portal("export", feed, "--company", "acme", "--ack")
        assert result.exit_code == 0, result.output
