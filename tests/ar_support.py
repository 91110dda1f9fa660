"""Helpers shared by the AR-totals tests: pushed invoices on given days, journals made old."""
from datetime import timedelta

from chalicelib.models import ArJournal
from chalicelib.repositories import ar_totals

DAYS = ["2026-06-30", "2026-09-15", "2026-10-31", "2026-11-20", "2027-01-05"]


def age_journals(minutes=10):
    """Time passes: every open journal is older than any batch still running."""
    for journal in ArJournal.open_journals.query(ar_totals.OPEN):
        journal.delete()
        journal.created_at -= timedelta(minutes=minutes)
        journal.save()


def pushed(invoice_no, customer_no, when, balance, due, state):
    return {"invoice_no": invoice_no, "customer_no": customer_no, "invoice_date": "2026-05-01",
            "due_date": due, "state": state, "status": "Ready", "lines": [],
            "subtotal": "500.00", "tax": "0", "total": "500.00", "balance": f"{balance / 100:.2f}",
            "updated_at": f"2026-11-{when // 60 + 1:02d}T{when % 60 // 4:02d}:{when % 4 * 15:02d}:00Z",
            **({} if due else {"due_date": None})}
