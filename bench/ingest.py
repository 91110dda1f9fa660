"""ERP ingest through the `portal` CLI vs. the cheapest correct floor, on the local stack.

    .venv/bin/python bench/ingest.py [--count 100000] [--lines 3]

1. Writes --count invoices with --lines lines each to a temporary CSV file (streamed).
2. Starts the local stack (`python -m infra.local.stack`: moto server + `chalice local`) on
   free ports and writes a platform token into its moto.
3. Floor: plain boto3 in this process writes the same invoice items (company `floor`) to the
   same moto server, one PutItem each with the same stale-update condition the API uses
   (`attribute_not_exists(pk) OR erp_updated_at < :updated_at`): no HTTP, no validation.
   Half of it runs before the CLI and half after (the machine's load varies).
4. Creates company `bench` and a company token with the CLI, then imports the file with
   `portal import invoices` as a subprocess (validation pass included) and reads its peak
   memory (ru_maxrss of the finished child, RUSAGE_CHILDREN).
5. Prints records/s of both, their ratio (target >= 0.7), and the CLI's peak memory (target
   < 300 MB); checks that every invoice was created.

Exit status 1 when the import fails or not every invoice arrives; the targets are printed,
not enforced (moto's and chalice local's speed vary with the machine).
"""
import argparse
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
PORTAL = Path(sys.executable).with_name("portal")
UPDATED_AT = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
HEADER = ["invoice_no", "customer_no", "invoice_date", "due_date", "state", "status",
          "dealer_code", "subtotal", "tax", "total", "balance", "updated_at", "line_no",
          "line_part_no", "line_description", "line_qty_ordered", "line_qty_shipped",
          "line_qty_backordered", "line_price"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def invoices(count: int, lines: int, first: int = 0):
    """The same invoices for the file and the floor: dicts in the API's record shape."""
    start = date(2026, 1, 1)
    for n in range(first, first + count):
        day = start + timedelta(days=n % 300)
        price_cents = 1000 + n % 5000
        subtotal = price_cents * lines
        tax = subtotal * 7 // 100
        total = subtotal + tax
        yield {
            "invoice_no": f"B{n:07d}", "customer_no": f"C{n % 2000:05d}",
            "invoice_date": day.isoformat(), "due_date": (day + timedelta(days=30)).isoformat(),
            "state": "open" if n % 3 else "closed", "status": "received",
            "dealer_code": f"D{n % 50:03d}" if n % 4 == 0 else "",
            "subtotal": subtotal, "tax": tax, "total": total,
            "balance": total if n % 3 else 0,
            "lines": [{"line_no": i, "part_no": f"P-{(n + i) % 9000:05d}",
                       "description": f"Part {(n + i) % 9000}", "qty_ordered": 1,
                       "qty_shipped": 1, "qty_backordered": 0, "price": price_cents}
                      for i in range(1, lines + 1)],
        }


def dollars(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def write_file(path: Path, count: int, lines: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADER)
        updated = UPDATED_AT.isoformat().replace("+00:00", "Z")
        for record in invoices(count, lines):
            head = [record["invoice_no"], record["customer_no"], record["invoice_date"],
                    record["due_date"], record["state"], record["status"], record["dealer_code"],
                    dollars(record["subtotal"]), dollars(record["tax"]),
                    dollars(record["total"]), dollars(record["balance"]), updated]
            for line in record["lines"]:
                writer.writerow(head + [line["line_no"], line["part_no"], line["description"],
                                        line["qty_ordered"], line["qty_shipped"],
                                        line["qty_backordered"], dollars(line["price"])])


# ---------------------------------------------------------------- local stack
def start_stack(port: int, moto_port: int):
    env = dict(os.environ, PORT=str(port), MOTO_PORT=str(moto_port), PYTHONUNBUFFERED="1",
               POWERTOOLS_LOG_LEVEL="WARNING")
    for name in ("AWS_ENDPOINT_URL", "PORTAL_STAGE"):
        env.pop(name, None)
    process = subprocess.Popen([sys.executable, "-m", "infra.local.stack"], cwd=PROJECT_DIR,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    banner = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        banner.append(line)
        if "Ctrl-C stops everything" in line:
            break
    text = "".join(banner)
    if "Ctrl-C stops everything" not in text:
        stop_stack(process)
        raise SystemExit("the local stack did not start:\n" + text)
    # Keep draining its output so a full pipe never blocks the server.
    import threading
    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
    return process, text


def stop_stack(process) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def portal(args, env, check=True) -> subprocess.CompletedProcess:
    done = subprocess.run([str(PORTAL), *args], env=env, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise SystemExit(f"portal {' '.join(args)} failed ({done.returncode}):\n"
                         f"{done.stdout}\n{done.stderr}")
    return done


# --------------------------------------------------------------------- floor
def floor(moto_port: int, count: int, lines: int, first: int = 0) -> float:
    """Seconds for plain boto3 to write the same invoice items, one conditional PutItem each."""
    import boto3

    from chalicelib.models import Invoice
    from chalicelib.models.invoice import InvoiceLine
    from chalicelib.repositories.keys import invoice_keys

    client = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.1:{moto_port}")
    table = Invoice.Meta.table_name
    company = "floor"
    started = time.perf_counter()
    for record in invoices(count, lines, first):
        invoice_no, customer_no = record["invoice_no"], record["customer_no"]
        day, state = record["invoice_date"], record["state"]
        keys = invoice_keys(company, invoice_no, customer_no, state, day,
                            record["due_date"], record["balance"], record["dealer_code"] or None)
        item = Invoice(
            company_id=company, invoice_no=invoice_no, customer_no=customer_no,
            dealer_code=record["dealer_code"] or None, state=state, status=record["status"],
            invoice_date=day, due_date=record["due_date"],
            lines=[InvoiceLine(line_no=line["line_no"], part_no=line["part_no"],
                               description=line["description"],
                               qty_ordered=line["qty_ordered"], qty_shipped=line["qty_shipped"],
                               qty_backordered=line["qty_backordered"],
                               price_cents=line["price"],
                               extension_cents=line["price"] * line["qty_ordered"])
                   for line in record["lines"]],
            subtotal_cents=record["subtotal"], tax_cents=record["tax"],
            total_cents=record["total"], balance_cents=record["balance"],
            erp_updated_at=UPDATED_AT, **keys)
        serialized = item.serialize()
        client.put_item(TableName=table, Item=serialized,
                        ConditionExpression="attribute_not_exists(pk) OR erp_updated_at < :u",
                        ExpressionAttributeValues={":u": serialized["erp_updated_at"]})
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="invoices (default 100000)")
    parser.add_argument("--lines", type=int, default=3, help="lines per invoice (default 3)")
    args = parser.parse_args()
    if not PORTAL.exists():
        raise SystemExit(f"{PORTAL} is missing: run `make install` first")

    with tempfile.TemporaryDirectory(prefix="portal-ingest-") as folder:
        path = Path(folder) / "invoices.csv"
        started = time.perf_counter()
        write_file(path, args.count, args.lines)
        print(f"file: {args.count:,} invoices x {args.lines} lines, "
              f"{path.stat().st_size / 1e6:.1f} MB, written in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        port, moto_port = free_port(), free_port()
        stack, _ = start_stack(port, moto_port)
        try:
            env = dict(os.environ, PORTAL_URL=f"http://127.0.0.1:{port}",
                       XDG_CONFIG_HOME=folder)
            env.pop("PORTAL_COMPANY", None)
            sys.path.insert(0, str(PROJECT_DIR))
            from infra.local import bootstrap
            bootstrap.use_local_moto(moto_port)
            env["PORTAL_TOKEN"] = bootstrap.platform_token("bench/ingest.py")
            # The floor runs in two halves, before and after the CLI, so that a change in
            # the machine's load (2 shared cores) weighs on both sides alike.
            half = args.count // 2
            floor_seconds = floor(moto_port, half, args.lines)

            portal(["company", "create", "bench", "--name", "Bench Co", "--domain",
                    "bench.localhost"], env)
            created = json.loads(portal(["--json", "token", "create", "--scope", "company",
                                         "--company", "bench", "--label", "bench"], env).stdout)
            env["PORTAL_TOKEN"] = created["token"]
            started = time.perf_counter()
            child = subprocess.Popen([str(PORTAL), "--json", "import", "invoices", str(path),
                                      "--company", "bench"], env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
            out, err = child.communicate()  # reaps the child: its rusage goes to CHILDREN
            cli_seconds = time.perf_counter() - started
            # ru_maxrss of terminated children is the largest of them: the CLI is the only
            # child of this process that has ended besides the two short `portal` calls
            # above, which are much smaller.
            import resource
            peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            if child.returncode != 0:
                print(out, err, file=sys.stderr)
                print(f"the import failed with exit code {child.returncode}", file=sys.stderr)
                return 1
            summary = json.loads(out)["summary"]
            floor_seconds += floor(moto_port, args.count - half, args.lines, first=half)
            floor_rate = args.count / floor_seconds
            print(f"floor (boto3 conditional PutItem): {floor_seconds:.1f} s, "
                  f"{floor_rate:,.0f} invoices/s", flush=True)
        finally:
            stop_stack(stack)

    cli_rate = args.count / cli_seconds
    print(f"portal import invoices: {cli_seconds:.1f} s, {cli_rate:,.0f} invoices/s "
          f"({cli_rate * args.lines:,.0f} lines/s); summary {summary}")
    print(f"ratio CLI / floor: {cli_rate / floor_rate:.2f} (target >= 0.7)")
    print(f"CLI peak memory (ru_maxrss): {peak_mb:.0f} MB (target < 300 MB)")
    if summary.get("created") != args.count:
        print(f"expected {args.count} created, got {summary}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
