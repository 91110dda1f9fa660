"""`portal export`: page through a feed, write each page out, then (with --ack) acknowledge
exactly the items of that page.

An item is acknowledged only after its page was written and flushed to the output (and
fsync'ed when it is a file): a crash between the two leaves items unacknowledged, so they
come again next run (at-least-once: the ERP keys on the item id), never lost.
"""

import contextlib
import csv
import io
import json
import os
import sys

import click

from portal_cli import output

FEEDS = {"payments": "payments", "orders": "parts-orders", "service-requests": "service-requests"}
ID_FIELDS = ("id", "payment_id", "order_id")
PAGE_SIZE = 100


def item_id(item: dict) -> str:
    for name in ID_FIELDS:
        if item.get(name):
            return str(item[name])
    raise click.ClickException(f"a feed item has no id ({', '.join(ID_FIELDS)}): {item}")


def flat(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return "" if value is None else value


class Writer:
    """JSON Lines or CSV.  CSV columns are the first page's keys (sorted, the id first);
    a key that appears later goes into the `extra` column as JSON, so nothing is dropped."""

    def __init__(self, stream, fmt: str, append: bool):
        self.stream = stream
        self.fmt = fmt
        self.columns: list[str] | None = None
        self.header_needed = not append
        self.written = 0

    def write_page(self, items: list[dict]) -> None:
        buffer = io.StringIO()
        if self.fmt == "json":
            for item in items:
                buffer.write(json.dumps(item, sort_keys=True, separators=(",", ":")) + "\n")
        else:
            writer = csv.writer(buffer, lineterminator="\n")
            if self.columns is None:
                keys = sorted({key for item in items for key in item})
                first = [name for name in ID_FIELDS if name in keys][:1]
                self.columns = first + [key for key in keys if key not in first] + ["extra"]
                if self.header_needed:
                    writer.writerow(self.columns)
            for item in items:
                extra = {k: v for k, v in item.items() if k not in self.columns}
                writer.writerow(
                    [flat(item.get(column)) for column in self.columns[:-1]] + [flat(extra) if extra else ""]
                )
        self.stream.write(buffer.getvalue())
        self.stream.flush()
        if hasattr(self.stream, "fileno") and self.stream is not sys.stdout:
            with contextlib.suppress(OSError, io.UnsupportedOperation):
                os.fsync(self.stream.fileno())
        self.written += len(items)


@click.command()
@click.argument("feed", type=click.Choice(sorted(FEEDS)))
@click.option("--company", "company_id", help="Company id (env PORTAL_COMPANY).")
@click.option("--ack", is_flag=True, help="Acknowledge each page once written: it will not come again.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help="json = JSON Lines, one item a line.",
)
@click.option("--out", "out_path", type=click.Path(dir_okay=False), help="Output file (default: standard output).")
@click.option("--append", is_flag=True, help="Append to an existing --out file.")
@click.option("--limit", type=click.IntRange(1, 500), default=PAGE_SIZE, show_default=True, help="Items per page.")
@click.pass_obj
def export(runtime, feed, company_id, ack, fmt, out_path, append, limit):
    """Write the FEED (payments, orders, service-requests) that the ERP has not yet
    acknowledged.  Without --ack the items stay in the feed."""
    from portal_cli.main import API, q

    company_id = runtime.company(company_id)
    client = runtime.client()
    path = f"{API}/companies/{q(company_id)}/feeds/{FEEDS[feed]}"
    if out_path and os.path.isfile(out_path) and os.path.getsize(out_path) and not append:
        raise click.ClickException(
            f"{out_path} exists: pass --append, or choose another file (an exported feed is not overwritten)"
        )
    # Closed in `finally` below (stdout is not).
    stream = (
        open(out_path, "a" if append else "w", encoding="utf-8", newline="")  # noqa: SIM115
        if out_path
        else sys.stdout
    )
    writer = Writer(stream, fmt, append=bool(append and out_path and os.path.getsize(out_path)))
    acknowledged = 0
    cursor = None
    try:
        while True:
            page = client.get(path, cursor=cursor, limit=limit)
            items = page.get("items", [])
            if items:
                ids = [item_id(item) for item in items]
                try:
                    writer.write_page(items)
                except OSError as error:
                    raise click.ClickException(
                        f"cannot write {out_path or 'the output'}: {error}; the items of this "
                        "page were not acknowledged and will come again"
                    ) from None
                if ack:
                    client.post(f"{path}/ack", {"ids": ids}, idempotent=True)
                    acknowledged += len(ids)
            cursor = page.get("next_cursor")
            if not cursor or not items:
                break
    finally:
        if out_path:
            with contextlib.suppress(OSError):  # already reported: that page was not acknowledged
                stream.close()
        message = f"{writer.written} {feed} item(s) written"
        if out_path:
            message += f" to {out_path}"
        if ack:
            message += f", {acknowledged} acknowledged"
        output.stderr().print(message, highlight=False)
