"""`portal import KIND FILE`: validate every record, then send them in batches, resumably.

Pass 1 reads the whole file (streamed) and validates each record with the API's own pydantic
model (`chalicelib.contract.schemas`), collecting every problem with its row and column; it also
hashes the file.  If any record is bad, nothing is sent (exit 3) unless --skip-invalid.

Pass 2 reads the file again and sends the valid records in batches (at most 500 records and
under 5 MB each).  After each batch the API acknowledged, a checkpoint next to the file
(`FILE.portal-import.json`) records how many records are done, with the file's SHA-256: a
run that was interrupted resumes after the last acknowledged batch.  Re-sending a batch is
harmless anyway: each record carries `updated_at`, and the API answers `unchanged` for one it
already has.  The checkpoint is removed when the import completes.
"""

import json
import os
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click
from pydantic import ValidationError

from portal_cli import output
from portal_cli.http import ApiError
from portal_cli.records import SPECS, Problem, open_text, read_contacts, records

KINDS = tuple(SPECS)  # the kinds of chalicelib.contract.kinds that have a CSV layout
OUTCOMES = ("created", "updated", "unchanged", "skipped_stale", "rejected")
BATCH_RECORDS = 500
# The API refuses bodies over 5 MB; stay clear of it (headers, JSON envelope).
BATCH_BYTES = 4 * 1024 * 1024
CHECKPOINT_VERSION = 1
EXIT_BAD_ROWS = 3
EXIT_REJECTED = 4
MAX_LISTED_REJECTS = 1000


def schemas():
    from chalicelib.contract import schemas as api_schemas  # pydantic only: no app, no boto3

    return api_schemas


def detect_format(path: str, given: str | None) -> str:
    if given:
        return given
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    raise click.UsageError(f"cannot tell the format of {path} from its extension: pass --format csv or --format jsonl")


def model_problems(record, model) -> list[Problem]:
    """Validate one record; its problems located at row and column."""
    try:
        model.model_validate(record.data)
    except ValidationError as error:
        found = []
        for item in error.errors(include_url=False):
            row, column = record.locate(tuple(item["loc"]))
            found.append(Problem(row, column, item["msg"].removeprefix("Value error, ")))
        return found
    return []


class Source:
    """The input file(s) of one import, readable twice (validate, then send)."""

    def __init__(self, kind, path, fmt, contacts_path=None):
        self.kind, self.path, self.fmt, self.contacts_path = kind, path, fmt, contacts_path
        self.sha256 = None
        self.size = None

    def read(self, hashing=False):
        """Yields records; the caller closes nothing (the generator does)."""
        contacts, problems = ({}, [])
        if self.contacts_path:
            contacts, problems = read_contacts(self.contacts_path)
        stream, hasher = open_text(self.path, hashing=hashing)
        with stream:
            reader = records(self.kind, self.fmt, stream, contacts if self.contacts_path else None)
            yield from reader
            problems = problems + reader.header_problems
            if self.contacts_path and not problems:
                for customer_no, items in contacts.items():
                    for row, _ in items:
                        problems.append(
                            Problem(
                                row, "contacts file: customer_no", f"customer {customer_no!r} is not in {self.path}"
                            )
                        )
            if hasher:
                # read to the end so the hash covers the whole file
                while stream.read(1 << 16):
                    pass
                self.sha256 = hasher.sha256.hexdigest()
                self.size = hasher.size
        yield from problems


def validate(source: Source, model) -> tuple[int, list[Problem], set]:
    """(valid record count, problems, first rows of the bad records)."""
    valid, problems, bad_rows = 0, [], set()
    for item in source.read(hashing=True):
        if isinstance(item, Problem):  # the header, or the separate contacts file
            problems.append(item)
            continue
        found = item.problems + model_problems(item, model)
        if found:
            problems.extend(found)
            bad_rows.add(item.row)
        else:
            valid += 1
    return valid, problems, bad_rows


def report_problems(problems: list[Problem], path: str) -> None:
    err = output.stderr()
    err.print(f"[red]{path}: {len(problems)} problem(s)[/]", highlight=False)
    for problem in sorted(problems, key=lambda p: p.row):
        sys.stderr.write(f"  row {problem.row}, column {problem.column}: {problem.reason}\n")


# ----------------------------------------------------------------- checkpoint
class Checkpoint:
    def __init__(self, input_path: str, identity: dict):
        self.path = Path(str(input_path) + ".portal-import.json")
        self.identity = identity
        self.unwritable = False
        self.state = {
            "records_done": 0,
            "batches_done": 0,
            "summary": {outcome: 0 for outcome in OUTCOMES},
            "rejected": [],
            "notes": [],
        }

    def load(self) -> str | None:
        """Take over a previous run's progress; a message saying what happened, if anything."""
        if not self.path.exists():
            return None
        try:
            saved = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return f"ignoring an unreadable checkpoint {self.path}"
        if saved.get("identity") != self.identity:
            return (
                f"ignoring {self.path}: it belongs to another file, kind, company or portal (or the file changed since)"
            )
        self.state = saved["state"]
        return (
            f"resuming: {self.state['records_done']} record(s) in "
            f"{self.state['batches_done']} batch(es) were acknowledged by a previous run"
        )

    def save(self) -> None:
        if self.unwritable:
            return
        temporary = self.path.with_name(self.path.name + ".tmp")
        try:
            temporary.write_text(
                json.dumps({"version": CHECKPOINT_VERSION, "identity": self.identity, "state": self.state}),
                encoding="utf-8",
            )
            os.replace(temporary, self.path)
        except OSError as error:
            # The import goes on; a re-run sends everything again (harmless: `unchanged`).
            self.unwritable = True
            output.stderr().print(
                f"[yellow]warning:[/] cannot write the checkpoint "
                f"{self.path} ({error}): an interrupted run will start over",
                highlight=False,
            )

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


# ---------------------------------------------------------------------- send
class Batch:
    def __init__(self):
        self.parts: list[bytes] = []
        self.records: list = []  # the Record of each part (rows for error messages)
        self.size = 0

    def add(self, record, encoded: bytes):
        self.parts.append(encoded)
        self.records.append(record)
        self.size += len(encoded) + 1

    def body(self) -> bytes:
        return b'{"records":[' + b",".join(self.parts) + b"]}"


def batches(source: Source, bad_rows: set, skip: int):
    """Valid records in batches; the first `skip` valid records (done before) are left out."""
    batch = Batch()
    position = 0
    for item in source.read():
        if isinstance(item, Problem) or item.row in bad_rows:
            continue
        position += 1
        if position <= skip:
            continue
        encoded = json.dumps(item.data, separators=(",", ":"), ensure_ascii=False).encode()
        if batch.records and (len(batch.records) >= BATCH_RECORDS or batch.size + len(encoded) > BATCH_BYTES):
            yield batch
            batch = Batch()
        item.data = None  # the encoded form is all we need from here on
        batch.add(item, encoded)
    if batch.records:
        yield batch


def send(client, path: str, batch: Batch) -> list[dict]:
    """Results of one batch, in record order.  A 413 splits the batch in two."""
    try:
        answer = client.request(
            "POST", path, data=batch.body(), headers={"Content-Type": "application/json"}, idempotent=True
        )
    except ApiError as error:
        if error.status == 413 and len(batch.records) > 1:
            half = len(batch.records) // 2
            first, second = Batch(), Batch()
            for index, (record, part) in enumerate(zip(batch.records, batch.parts, strict=True)):
                (first if index < half else second).add(record, part)
            return send(client, path, first) + send(client, path, second)
        raise
    results = sorted(answer.get("results", []), key=lambda result: result["index"])
    if len(results) != len(batch.records):
        raise ApiError(
            None, "bad_answer", f"the API answered {len(results)} result(s) for {len(batch.records)} record(s)"
        )
    return results


def rejected_rows(batch: Batch, results: list[dict]) -> list[dict]:
    found = []
    for record, result in zip(batch.records, results, strict=False):
        if result.get("outcome") != "rejected":
            continue
        errors = result.get("errors") or [{"field": "(record)", "reason": "rejected"}]
        for error in errors:
            path = tuple(
                int(part) if part.isdigit() else part for part in str(error.get("field", "")).split(".") if part
            )
            row, column = record.locate(path) if path else (record.row, "(record)")
            found.append({"row": row, "key": result.get("key"), "column": column, "reason": error.get("reason", "")})
    return found


def run_import(runtime, kind, path, fmt, company_id, skip_invalid, dry_run, restart, contacts_path):
    api = schemas()
    model = api.KINDS[kind].record
    source = Source(kind, path, fmt, contacts_path)
    err = output.stderr()
    started = time.monotonic()
    valid, problems, bad_rows = validate(source, model)
    if problems:
        report_problems(problems, path)
        if not skip_invalid:
            err.print(
                f"[red]nothing sent[/]: fix the rows above, or pass --skip-invalid to "
                f"send the {valid} valid record(s) and leave the bad ones out",
                highlight=False,
            )
            raise SystemExit(EXIT_BAD_ROWS)
        err.print(f"--skip-invalid: {len(bad_rows)} bad record(s) left out", highlight=False)
    err.print(
        f"{path}: {valid} valid {kind} record(s), validated in {time.monotonic() - started:.1f} s", highlight=False
    )
    if dry_run:
        raise SystemExit(EXIT_BAD_ROWS if problems else 0)

    from portal_cli.main import API, q

    client = runtime.client()
    api_path = f"{API}/companies/{q(company_id)}/{kind}"
    checkpoint = Checkpoint(
        path,
        {
            "kind": kind,
            "company": company_id,
            "url": client.url,
            "sha256": source.sha256,
            "size": source.size,
            "contacts": str(contacts_path or ""),
            "skip_invalid": bool(skip_invalid),
        },
    )
    if restart:
        checkpoint.remove()
    else:
        message = checkpoint.load()
        if message:
            err.print(message, highlight=False)
    state = checkpoint.state
    summary = Counter(state["summary"])
    done_before = state["records_done"]

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    progress = Progress(
        TextColumn(f"importing {kind}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} rec/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
    )
    sent_now = 0
    send_started = time.monotonic()
    failure = None
    with progress, ThreadPoolExecutor(max_workers=1) as pool:
        task = progress.add_task("import", total=valid, completed=done_before, rate="-")
        # One batch in flight while the next is read and encoded; at most one more queued.
        in_flight = []
        try:
            for batch in batches(source, bad_rows, skip=done_before):
                in_flight.append((batch, pool.submit(send, client, api_path, batch)))
                if len(in_flight) == 2:
                    sent_now += finish(in_flight.pop(0), state, summary, checkpoint)
                    progress.update(
                        task,
                        completed=state["records_done"],
                        rate=f"{sent_now / (time.monotonic() - send_started):.0f}",
                    )
            while in_flight:
                sent_now += finish(in_flight.pop(0), state, summary, checkpoint)
                progress.update(task, completed=state["records_done"])
        except ApiError as error:
            failure = error
            for _, future in in_flight:
                future.cancel()
    elapsed = time.monotonic() - send_started
    show_summary(runtime, kind, summary, state, sent_now, elapsed, len(bad_rows))
    if failure is not None:
        err.print(
            f"[red]stopped:[/] {failure}\n{state['records_done']} of {valid} record(s) "
            f"acknowledged; run the same command again to resume "
            f"(checkpoint {checkpoint.path})",
            highlight=False,
        )
        raise SystemExit(1)
    checkpoint.remove()
    if summary["rejected"] or (skip_invalid and bad_rows):
        raise SystemExit(EXIT_REJECTED)


def finish(pending, state, summary, checkpoint):
    batch, future = pending
    results = future.result()  # raises the batch's ApiError
    for result in results:
        summary[result.get("outcome", "rejected")] += 1
    state["rejected"].extend(rejected_rows(batch, results))
    del state["rejected"][MAX_LISTED_REJECTS:]
    notes = state.setdefault("notes", [])
    for record, result in zip(batch.records, results, strict=False):
        for warning in result.get("warnings") or []:
            notes.append(f"row {record.row}, key {result.get('key')}: {warning}")
        if result.get("ignored_fields"):
            notes.append(
                f"row {record.row}, key {result.get('key')}: ignored (the portal owns "
                f"them): {', '.join(result['ignored_fields'])}"
            )
    del notes[MAX_LISTED_REJECTS:]
    state["records_done"] += len(batch.records)
    state["batches_done"] += 1
    state["summary"] = dict(summary)
    checkpoint.save()
    return len(batch.records)


def show_summary(runtime, kind, summary, state, sent_now, elapsed, invalid):
    counts = {outcome: summary.get(outcome, 0) for outcome in OUTCOMES}
    if runtime.as_json:
        output.print_json(
            {
                "kind": kind,
                "summary": counts,
                "invalid_skipped": invalid,
                "rejected": state["rejected"],
                "notes": state.get("notes", []),
                "records_done": state["records_done"],
                "seconds": round(elapsed, 3),
            }
        )
        return
    from rich.table import Table

    table = Table(title=f"{kind} import")
    for outcome in OUTCOMES:
        table.add_column(outcome.replace("_", " "), justify="right")
    table.add_row(*(str(counts[outcome]) for outcome in OUTCOMES))
    console = output.stdout()
    console.print(table)
    if invalid:
        console.print(f"{invalid} invalid record(s) left out (--skip-invalid)")
    if sent_now:
        console.print(f"{sent_now} record(s) sent in {elapsed:.1f} s ({sent_now / max(elapsed, 1e-9):.0f} records/s)")
    if state.get("notes"):
        console.print("notes from the API:")
        for note in state["notes"]:
            sys.stdout.write(f"  {note}\n")
    if state["rejected"]:
        console.print(f"[red]rejected by the API ({counts['rejected']}):[/]")
        for item in state["rejected"]:
            sys.stdout.write(f"  row {item['row']}, key {item['key']}, column {item['column']}: {item['reason']}\n")


def import_command(kind):
    @click.command(kind)
    @click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
    @click.option("--company", "company_id", help="Company id (env PORTAL_COMPANY).")
    @click.option(
        "--format",
        "fmt",
        type=click.Choice(["csv", "jsonl"]),
        help="Default: from the extension (.csv; .jsonl/.ndjson/.json).",
    )
    @click.option("--skip-invalid", is_flag=True, help="Send the valid records even when some are bad (exit code 4).")
    @click.option("--dry-run", is_flag=True, help="Validate only; send nothing.")
    @click.option("--restart", is_flag=True, help="Ignore a previous run's checkpoint and send everything again.")
    @click.pass_obj
    def command(runtime, path, company_id, fmt, skip_invalid, dry_run, restart, **extra):
        company = None if dry_run else runtime.company(company_id)
        run_import(
            runtime,
            kind,
            path,
            detect_format(path, fmt),
            company,
            skip_invalid,
            dry_run,
            restart,
            extra.get("contacts_path"),
        )

    command.help = (
        f"Import {kind} from FILE (CSV or JSON Lines; columns in "
        "docs/erp-import.md).  Every record is validated first; an interrupted "
        "import resumes where it stopped."
    )
    if kind == "customers":
        command = click.option(
            "--contacts",
            "contacts_path",
            type=click.Path(exists=True, dir_okay=False),
            help="Separate contacts CSV (customer_no, contact_id, name, email, phone, role, primary).",
        )(command)
    return command


@click.group("import")
def import_group():
    """Import ERP export files (customers, dealers, invoices, parts, equipment)."""


for _kind in KINDS:
    import_group.add_command(import_command(_kind))
