"""`portal import` in-process against the real app: examples, bad rows, resume, stale rule."""
import json
import shutil
from pathlib import Path

import pytest

from tests.cli_support import ChaliceTransport, Portal, make_api_token, write_invoices_csv

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def portal(client):
    return Portal(client, token=make_api_token("company", "acme"),
                  )


@pytest.fixture
def examples(tmp_path):
    """A copy of examples/ (imports write their checkpoint next to the file)."""
    folder = tmp_path / "examples"
    shutil.copytree(EXAMPLES, folder)
    return folder


def summary(result):
    assert result.exit_code in (0, 4), result.output
    return json.loads(result.stdout)["summary"]


def stored_invoice(invoice_no):
    from chalicelib.models import Invoice
    from chalicelib.repositories.keys import invoice_pk

    return Invoice.get(invoice_pk("acme", invoice_no))


def posts_to(transport, kind):
    return [json.loads(body)["records"] for method, path, body in transport.calls
            if method == "POST" and path.endswith(f"/{kind}")]


def test_the_examples_import_and_a_second_import_changes_nothing(portal, examples):
    expected = {"customers": 4, "dealers": 2, "parts": 14, "equipment": 3, "invoices": 5}
    for kind, count in expected.items():
        extra = ["--contacts", examples / "contacts.csv"] if kind == "customers" else []
        result = portal("--json", "import", kind, examples / f"{kind}.csv", "--company",
                        "acme", *extra)
        assert result.exit_code == 0, result.output
        assert summary(result)["created"] == count, (kind, result.output)

    invoice = stored_invoice("INV-50001")
    assert invoice.customer_no == "A1001"
    assert [line.part_no for line in invoice.lines] == ["LAB-100", "IGN-220", "THM-015"]
    assert invoice.total_cents == 26338 and invoice.balance_cents == 26338
    assert invoice.lines[2].qty_backordered == 1
    assert stored_invoice("INV-50004").dealer_code == "PRA01"

    again = portal("--json", "import", "invoices", examples / "invoices.jsonl",
                   "--company", "acme")
    assert summary(again) == dict(summary(again), created=0, updated=0, unchanged=5,
                                  rejected=0)


def test_customer_contacts_come_from_rows_and_from_a_contacts_file(portal, examples):
    from chalicelib.models import Contact
    from chalicelib.repositories.keys import account_pk

    result = portal("import", "customers", examples / "customers.csv", "--company", "acme",
                    "--contacts", examples / "contacts.csv")
    assert result.exit_code == 0, result.output
    maple = {c.email for c in Contact.query(account_pk("acme", "A1001"))}
    assert maple == {"mary@maple-bakery.example", "ap@maple-bakery.example"}
    lakeview = [c.email for c in Contact.query(account_pk("acme", "A1003"))]
    assert lakeview == ["leasing@lakeview-apts.example"]


def test_every_bad_row_is_reported_with_row_column_and_reason_and_nothing_is_sent(
        client, examples):
    transport = ChaliceTransport(client)
    portal = Portal(client, token=make_api_token("company", "acme"), transport=transport)
    result = portal("import", "invoices", examples / "bad-invoices.csv", "--company", "acme")
    assert result.exit_code == 3
    errors = result.stderr
    assert "row 3, column invoice_date:" in errors
    assert "row 4, column state: Input should be 'open' or 'closed'" in errors
    assert "row 4, column line_price: must be a decimal amount" in errors
    assert "row 5, column line_qty_ordered: Input should be greater than or equal to 0" in errors
    assert "nothing sent" in errors
    assert posts_to(transport, "invoices") == []


def test_skip_invalid_sends_the_good_records_and_exits_non_zero(portal, examples):
    from chalicelib.models import Invoice

    result = portal("--json", "import", "invoices", examples / "bad-invoices.csv",
                    "--company", "acme", "--skip-invalid")
    assert result.exit_code == 4
    assert summary(result)["created"] == 1
    assert stored_invoice("INV-90001").total_cents == 1000
    with pytest.raises(Invoice.DoesNotExist):
        stored_invoice("INV-90002")


def test_csv_problems_in_the_header_and_in_grouping_are_reported(portal, tmp_path):
    bad_header = tmp_path / "header.csv"
    bad_header.write_text("invoice_no,customer,line_no\nX1,A1,1\n")
    result = portal("import", "invoices", bad_header, "--company", "acme")
    assert result.exit_code == 3
    assert "row 1, column customer: unknown column" in result.stderr

    split = tmp_path / "split.csv"
    split.write_text(
        "invoice_no,customer_no,invoice_date,state,subtotal,tax,total,balance,updated_at,line_no\n"
        "X1,A1,2026-11-02,open,1,0,1,1,2026-11-20T08:00:00Z,1\n"
        "X2,A1,2026-11-02,open,1,0,1,1,2026-11-20T08:00:00Z,1\n"
        "X1,A1,2026-11-02,open,1,0,1,1,2026-11-20T08:00:00Z,2\n"
        "X2,A2,2026-11-02,open,1,0,1,1,2026-11-20T08:00:00Z,1\n")
    result = portal("import", "invoices", split, "--company", "acme")
    assert result.exit_code == 3
    assert "row 4, column invoice_no: invoice_no 'X1' appeared earlier" in result.stderr
    assert "row 5, column invoice_no: invoice_no 'X2' appeared earlier" in result.stderr


def test_a_record_that_differs_between_its_rows_is_reported(portal, tmp_path):
    path = tmp_path / "differs.csv"
    path.write_text(
        "invoice_no,customer_no,invoice_date,state,subtotal,tax,total,balance,updated_at,line_no\n"
        "X1,A1,2026-11-02,open,1,0,1,1,2026-11-20T08:00:00Z,1\n"
        "X1,A9,2026-11-02,open,1,0,1,1,2026-11-20T08:00:00Z,2\n")
    result = portal("import", "invoices", path, "--company", "acme")
    assert result.exit_code == 3
    assert "row 3, column customer_no: differs from row 2 of the same record ('A1')" \
        in result.stderr


def test_records_go_in_batches_of_at_most_500(client, tmp_path):
    transport = ChaliceTransport(client)
    portal = Portal(client, token=make_api_token("company", "acme"), transport=transport)
    path = write_invoices_csv(tmp_path / "many.csv", 1100)
    result = portal("--json", "import", "invoices", path, "--company", "acme")
    assert summary(result)["created"] == 1100
    assert [len(batch) for batch in posts_to(transport, "invoices")] == [500, 500, 100]


def test_an_interrupted_import_resumes_after_the_last_acknowledged_batch(client, tmp_path):
    path = write_invoices_csv(tmp_path / "nightly.csv", 1200)
    token = make_api_token("company", "acme")
    # The network goes away after the first batch was answered.
    broken = ChaliceTransport(client, fail_after=1, fail_on=("POST", "/invoices"))
    first = Portal(client, token=token, transport=broken)(
        "import", "invoices", path, "--company", "acme")
    assert first.exit_code == 1
    assert "run the same command again to resume" in first.stderr
    assert Path(str(path) + ".portal-import.json").exists()
    stored_invoice("T00499")  # the acknowledged batch is stored

    working = ChaliceTransport(client)
    second = Portal(client, token=token, transport=working)(
        "--json", "import", "invoices", path, "--company", "acme")
    assert second.exit_code == 0, second.output
    assert "resuming: 500 record(s)" in second.stderr
    sent_again = [record["invoice_no"] for batch in posts_to(working, "invoices")
                  for record in batch]
    assert sent_again == [f"T{n:05d}" for n in range(500, 1200)]  # nothing sent twice
    assert summary(second)["created"] == 1200  # both runs counted
    assert not Path(str(path) + ".portal-import.json").exists()
    stored_invoice("T01199")


def test_a_changed_file_does_not_resume_from_an_old_checkpoint(client, tmp_path):
    path = write_invoices_csv(tmp_path / "nightly.csv", 700)
    token = make_api_token("company", "acme")
    broken = ChaliceTransport(client, fail_after=1, fail_on=("POST", "/invoices"))
    assert Portal(client, token=token, transport=broken)(
        "import", "invoices", path, "--company", "acme").exit_code == 1
    write_invoices_csv(path, 700, updated_at="2026-11-21T08:00:00Z", customer_no="A2001")
    result = Portal(client, token=token)("--json", "import", "invoices", path,
                                         "--company", "acme")
    assert "ignoring" in result.stderr
    counts = summary(result)
    assert (counts["updated"], counts["created"]) == (500, 200)


def test_an_older_record_never_overwrites_a_newer_one(portal, tmp_path):
    newer = write_invoices_csv(tmp_path / "newer.csv", 3, updated_at="2026-11-21T08:00:00Z")
    assert summary(portal("--json", "import", "invoices", newer, "--company", "acme"))[
        "created"] == 3
    older = tmp_path / "older.csv"
    write_invoices_csv(older, 3, updated_at="2026-11-19T08:00:00Z", customer_no="OTHER")
    assert summary(portal("--json", "import", "invoices", older, "--company", "acme"))[
        "skipped_stale"] == 3
    assert stored_invoice("T00000").customer_no == "A1001"


def test_dry_run_validates_without_a_token_or_a_company(client, examples):
    result = Portal(client)("import", "parts", examples / "parts.csv", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "14 valid parts record(s)" in result.stderr


def test_fields_the_portal_owns_are_reported_as_ignored(portal, tmp_path):
    path = tmp_path / "customers.jsonl"
    path.write_text(json.dumps({
        "customer_no": "A1001", "name": "Maple Street Bakery",
        "updated_at": "2026-11-20T08:00:00Z",
        "web_access": {"access_type": "Dealer"}}) + "\n")
    result = portal("import", "customers", path, "--company", "acme")
    assert result.exit_code == 0, result.output
    assert "row 1, key A1001: ignored (the portal owns them): web_access" in result.stdout


def test_an_unwritable_checkpoint_only_costs_the_resume(portal, tmp_path):
    path = write_invoices_csv(tmp_path / "nightly.csv", 3)
    # a directory where the checkpoint's temporary file would go: writing it fails, even as root
    (tmp_path / "nightly.csv.portal-import.json.tmp").mkdir()
    result = portal("--json", "import", "invoices", path, "--company", "acme")
    assert result.exit_code == 0, result.output
    assert "cannot write the checkpoint" in result.stderr
    assert summary(result)["created"] == 3


def stored_part(part_no):
    from chalicelib.repositories import parts as parts_repo

    return parts_repo.get("acme", part_no)


def test_every_part_column_of_the_csv_is_imported(portal, examples):
    result = portal("--json", "import", "parts", examples / "parts.csv", "--company", "acme")
    assert result.exit_code == 0, result.output
    igniter = stored_part("IGN-220")
    assert igniter.unit == "EA" and int(igniter.pack_qty) == 1
    assert dict(igniter.prices.as_dict()) == {"list": 11000, "retail": 11000, "dealer": 8800}
    assert [(b.branch, int(b.qty)) for b in igniter.branches] == [("MAIN", 9), ("EAST", 5)]
    assert int(igniter.qty_available) == 14  # the branches' sum
    assert list(igniter.alternates) == ["IGN-221"]
    assert stored_part("WP-OLD-1").superseded_by == "WP8544771"
    assert stored_part("DE-GONE").discontinued is True and stored_part("LAB-100").discontinued is False
    assert int(stored_part("CMP-400").core_charge_cents) == 4500
    screws = stored_part("SCR-810")
    assert (screws.unit, int(screws.pack_qty), int(screws.prices.as_dict()["dealer"])) == ("PK", 10, 18)


BAD_PARTS = (
    "part_no,description,unit,pack_qty,price_LIST,qty_available,branch_SEA,superseded_by,"
    "alternates,discontinued,core_charge,updated_at\n"
    "P-1,Good part,EA,1,10.00,,4,,,no,,2026-11-20T08:00:00Z\n"
    "P-2,Zero pack,EA,0,10.00,,4,,,no,,2026-11-20T08:00:00Z\n"
    "P-3,Bad branch,EA,1,10.00,,many,,,no,,2026-11-20T08:00:00Z\n"
    "P-4,Bad flag,EA,1,10.00,,1,,,maybe,-1.00,2026-11-20T08:00:00Z\n"
    "P-5,Bad alternates,EA,1,10.005,,1,P#9,A;B,no,,2026-11-20T08:00:00Z\n"
)


def test_bad_part_rows_are_reported_with_row_and_column_and_nothing_is_written(client, tmp_path):
    path = tmp_path / "parts.csv"
    path.write_text(BAD_PARTS)
    transport = ChaliceTransport(client)
    portal = Portal(client, token=make_api_token("company", "acme"), transport=transport)
    result = portal("import", "parts", path, "--company", "acme")
    assert result.exit_code == 3
    errors = result.stderr
    assert "row 3, column pack_qty: Input should be greater than or equal to 1" in errors
    assert "row 4, column branch_SEA: Input should be a valid integer" in errors
    assert "row 5, column discontinued: Input should be a valid boolean" in errors
    assert "row 5, column core_charge:" in errors
    assert "row 6, column price_LIST:" in errors and "row 6, column superseded_by:" in errors
    assert "nothing sent" in errors
    assert posts_to(transport, "parts") == []
    assert stored_part("P-1") is None  # not even the good row: nothing half-written


def test_skip_invalid_parts_sends_only_the_good_rows(portal, tmp_path):
    path = tmp_path / "parts.csv"
    path.write_text(BAD_PARTS)
    result = portal("--json", "import", "parts", path, "--company", "acme", "--skip-invalid")
    assert result.exit_code == 4
    assert summary(result)["created"] == 1
    assert [(b.branch, int(b.qty)) for b in stored_part("P-1").branches] == [("SEA", 4)]
    assert stored_part("P-2") is None and stored_part("P-4") is None
