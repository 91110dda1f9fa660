"""ERP export files -> API records, streamed: one record at a time, never the whole file.

CSV: the columns of each kind are in `SPECS` (documented in docs/erp-import.md).  Records that
span several rows (an invoice and its lines, a customer and its contacts/locations) are
consecutive rows with the same key; the record's own columns are repeated on each row (or left
empty after the first).  JSON Lines: one API record per line, exactly as the API takes it.

Each record keeps where its values came from (field path -> row, column), so that a validation
error of the API's pydantic model, local or remote, is reported as "row 12, column line_price".
"""

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class Problem:
    row: int
    column: str
    reason: str


@dataclass
class Record:
    row: int  # first row (CSV: file row, the header being row 1; JSON Lines: line number)
    data: dict
    where: dict = field(default_factory=dict)  # field path tuple -> (row, column)
    problems: list = field(default_factory=list)  # found while reading, before validation
    first_values: dict = field(default_factory=dict, repr=False)  # CSV: the record's own cells

    def locate(self, path: tuple) -> tuple[int, str]:
        """(row, column) of a field path such as ('lines', 1, 'price')."""
        for size in range(len(path), 0, -1):
            found = self.where.get(tuple(path[:size]))
            if found:
                return found
        return self.row, ".".join(str(part) for part in path) or "(record)"


@dataclass
class Child:
    """Columns that make one item of a list field (an invoice line, a contact, a location)."""

    columns: dict  # CSV column -> item field
    id_column: str  # the column that says which item a row is
    default_id: bool = False  # number the items 1, 2, ... when the id column is absent/empty


@dataclass
class CsvSpec:
    key: str  # column naming the record; consecutive rows with the same value are one record
    columns: dict  # CSV column -> top-level field
    lists: tuple = ()  # top-level fields written "A;B;C"
    maps: tuple = ()  # top-level fields written "name=value;name=value"
    children: dict = field(default_factory=dict)  # list field -> Child
    prefixed: dict = field(default_factory=dict)  # column prefix -> map field (price_X)
    # column prefix -> (list field, name field, value field): branch_SEA=4 -> branches[{branch: SEA, qty: 4}]
    prefixed_items: dict = field(default_factory=dict)
    multi_row: bool = False

    def known(self, column: str) -> bool:
        return (
            column in self.columns
            or any(column in child.columns for child in self.children.values())
            or any(column.startswith(p) and len(column) > len(p) for p in (*self.prefixed, *self.prefixed_items))
        )


def same(*names):
    return {name: name for name in names}


SPECS = {
    "customers": CsvSpec(
        key="customer_no",
        columns=same(
            "customer_no",
            "name",
            "updated_at",
            "erp_active",
            "price_level",
            "terms_days",
            "address",
            "city",
            "state",
            "postal_code",
            "phone",
        ),
        children={
            "contacts": Child(
                {
                    "contact_id": "contact_id",
                    "contact_name": "name",
                    "contact_email": "email",
                    "contact_phone": "phone",
                    "contact_role": "role",
                    "contact_primary": "primary",
                },
                id_column="contact_id",
                default_id=True,
            ),
            "locations": Child(
                {
                    "location_id": "location_id",
                    "location_name": "name",
                    "location_address": "address",
                    "location_city": "city",
                    "location_state": "state",
                    "location_postal_code": "postal_code",
                    "location_phone": "phone",
                },
                id_column="location_id",
            ),
        },
        multi_row=True,
    ),
    "dealers": CsvSpec(
        key="dealer_code",
        columns=same("dealer_code", "name", "linked_customer_nos", "updated_at"),
        lists=("linked_customer_nos",),
    ),
    "invoices": CsvSpec(
        key="invoice_no",
        columns=same(
            "invoice_no",
            "customer_no",
            "location_id",
            "invoice_date",
            "due_date",
            "state",
            "status",
            "status_dates",
            "po_number",
            "ship_to",
            "dealer_code",
            "equipment_serial",
            "subtotal",
            "tax",
            "total",
            "balance",
            "applied_payment_ids",
            "updated_at",
        ),
        lists=("applied_payment_ids",),
        maps=("status_dates",),
        children={
            "lines": Child(
                {
                    "line_no": "line_no",
                    "line_part_no": "part_no",
                    "line_description": "description",
                    "line_qty_ordered": "qty_ordered",
                    "line_qty_shipped": "qty_shipped",
                    "line_qty_backordered": "qty_backordered",
                    "line_price": "price",
                    "line_extension": "extension",
                    "line_expected_on": "expected_on",
                },
                id_column="line_no",
            )
        },
        multi_row=True,
    ),
    "parts": CsvSpec(
        key="part_no",
        columns=same(
            "part_no",
            "description",
            "unit",
            "pack_qty",
            "qty_available",
            "superseded_by",
            "alternates",
            "discontinued",
            "core_charge",
            "updated_at",
        ),
        lists=("alternates",),
        prefixed={"price_": "prices"},
        prefixed_items={"branch_": ("branches", "branch", "qty")},
    ),
    "equipment": CsvSpec(
        key="serial_no",
        columns=same(
            "customer_no",
            "serial_no",
            "make",
            "model",
            "description",
            "location_id",
            "purchased_on",
            "installed_on",
            "warranty_ends_on",
            "invoice_nos",
            "updated_at",
        ),
        lists=("invoice_nos",),
    ),
}

# The separate contacts file of `portal import customers --contacts FILE`.
CONTACT_COLUMNS = {
    "customer_no": "customer_no",
    "contact_id": "contact_id",
    "name": "name",
    "email": "email",
    "phone": "phone",
    "role": "role",
    "primary": "primary",
}


class HashingReader(io.RawIOBase):
    """A binary file that hashes what is read through it (the file's SHA-256 for resume)."""

    def __init__(self, raw):
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self.raw.read(len(buffer))
        self.sha256.update(data)
        self.size += len(data)
        buffer[: len(data)] = data
        return len(data)

    def close(self):
        self.raw.close()
        super().close()


def open_text(path, hashing: bool = False):
    """(text stream, hashing reader or None). UTF-8, with or without a byte-order mark."""
    raw = open(path, "rb")  # noqa: SIM115 (the caller closes the text stream, and so this)
    reader = HashingReader(raw) if hashing else None
    buffered = io.BufferedReader(reader if reader else raw, buffer_size=1 << 16)
    return io.TextIOWrapper(buffered, encoding="utf-8-sig", newline=""), reader


def split_list(text: str) -> list:
    return [part.strip() for part in text.split(";") if part.strip()]


def split_map(text: str) -> dict | None:
    result = {}
    for part in split_list(text):
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            return None
        result[name.strip()] = value.strip()
    return result


# ---------------------------------------------------------------------- CSV
class CsvRecords:
    """Records of one CSV file (and, for customers, an optional contacts file)."""

    def __init__(self, kind: str, stream, contacts: dict | None = None):
        self.kind = kind
        self.spec = SPECS[kind]
        self.stream = stream
        self.contacts = contacts
        self.header_problems: list[Problem] = []

    def __iter__(self) -> Iterator[Record]:
        reader = csv.reader(self.stream)
        try:
            header = next(reader)
        except StopIteration:
            self.header_problems.append(Problem(1, "(header)", "the file is empty"))
            return
        except csv.Error as error:
            self.header_problems.append(Problem(1, "(header)", f"not CSV: {error}"))
            return
        header = [name.strip() for name in header]
        self._check_header(header)
        if self.header_problems:
            return
        spec = self.spec
        seen = set()
        current: Record | None = None
        current_key = None
        row_no = 1
        try:
            for values in reader:
                row_no += 1
                if not any(value.strip() for value in values):
                    continue  # blank line
                if len(values) != len(header):
                    problem = Problem(row_no, "(row)", f"has {len(values)} cells, the header has {len(header)}")
                    if current is not None:
                        yield self._finish(current)
                        current, current_key = None, None
                    yield Record(row_no, {}, problems=[problem])
                    continue
                row = {name: value.strip() for name, value in zip(header, values, strict=False)}
                key = row[spec.key]
                if current is not None and spec.multi_row and key == current_key and key:
                    self._add_row(current, row, row_no)
                    continue
                if current is not None:
                    yield self._finish(current)
                current = self._start(row, row_no)
                current_key = key
                if key and spec.multi_row:
                    if key in seen:
                        current.problems.append(
                            Problem(
                                row_no,
                                spec.key,
                                f"{spec.key} {key!r} appeared earlier in the "
                                "file, not on the rows just before: a record's rows must be "
                                "consecutive",
                            )
                        )
                    seen.add(key)
        except csv.Error as error:
            if current is not None:
                yield self._finish(current)
                current = None
            yield Record(row_no, {}, problems=[Problem(row_no, "(row)", f"not CSV: {error}")])
        if current is not None:
            yield self._finish(current)

    def _check_header(self, header):
        seen = set()
        for name in header:
            if name in seen:
                self.header_problems.append(Problem(1, name, "column appears twice"))
            seen.add(name)
            if not self.spec.known(name):
                self.header_problems.append(
                    Problem(
                        1, name or "(empty)", f"unknown column (see docs/erp-import.md for the {self.kind} columns)"
                    )
                )
        if self.spec.key not in header:
            self.header_problems.append(Problem(1, self.spec.key, "required column is missing"))

    def _start(self, row: dict, row_no: int) -> Record:
        record = Record(row_no, {})
        spec = self.spec
        for column, name in spec.columns.items():
            value = row.get(column, "")
            if value == "":
                continue
            record.first_values[column] = value
            record.where[(name,)] = (row_no, column)
            if name in spec.lists:
                record.data[name] = split_list(value)
            elif name in spec.maps:
                parsed = split_map(value)
                if parsed is None:
                    record.problems.append(Problem(row_no, column, "must be name=value pairs separated by ';'"))
                else:
                    record.data[name] = parsed
            else:
                record.data[name] = value
        for prefix, name in spec.prefixed.items():
            for column, value in row.items():
                if column.startswith(prefix) and value != "":
                    level = column[len(prefix) :]
                    record.data.setdefault(name, {})[level] = value
                    record.where[(name, level)] = (row_no, column)
        for prefix, (name, key_field, value_field) in spec.prefixed_items.items():
            for column, value in row.items():
                if column.startswith(prefix) and len(column) > len(prefix) and value != "":
                    items = record.data.setdefault(name, [])
                    record.where[(name, len(items))] = (row_no, column)
                    items.append({key_field: column[len(prefix) :], value_field: value})
        self._add_children(record, row, row_no)
        return record

    def _add_row(self, record: Record, row: dict, row_no: int) -> None:
        for column, value in row.items():
            if column in self.spec.columns and value != "":
                first = record.first_values.get(column)
                if first is None:
                    record.problems.append(Problem(row_no, column, f"is empty on row {record.row} of the same record"))
                elif value != first:
                    record.problems.append(
                        Problem(row_no, column, f"differs from row {record.row} of the same record ({first!r})")
                    )
        self._add_children(record, row, row_no)

    def _add_children(self, record: Record, row: dict, row_no: int) -> None:
        for name, child in self.spec.children.items():
            item = {
                field_name: row[column] for column, field_name in child.columns.items() if row.get(column, "") != ""
            }
            if not item:
                continue
            items = record.data.setdefault(name, [])
            index = len(items)
            if child.default_id and not item.get(child.columns[child.id_column]):
                item[child.columns[child.id_column]] = str(index + 1)
            items.append(item)
            record.where[(name, index)] = (row_no, child.id_column)
            for column, field_name in child.columns.items():
                record.where[(name, index, field_name)] = (row_no, column)

    def _finish(self, record: Record) -> Record:
        if self.contacts is not None and record.data.get("customer_no"):
            extra = self.contacts.pop(record.data["customer_no"], [])
            items = record.data.setdefault("contacts", [])
            for contact_row, contact in extra:
                index = len(items)
                items.append(contact)
                record.where[("contacts", index)] = (contact_row, "contacts file")
                for name in contact:
                    record.where[("contacts", index, name)] = (contact_row, f"contacts file: {name}")
        record.first_values = {}
        return record


def read_contacts(path) -> tuple[dict, list]:
    """The separate contacts file: customer_no -> [(row, contact)]; problems of its header."""
    stream, _ = open_text(path)
    problems: list[Problem] = []
    contacts: dict = {}
    with stream:
        reader = csv.DictReader(stream)
        header = [name.strip() for name in reader.fieldnames or []]
        for name in header:
            if name not in CONTACT_COLUMNS:
                problems.append(Problem(1, f"contacts file: {name}", "unknown column"))
        for required in ("customer_no",):
            if required not in header:
                problems.append(Problem(1, f"contacts file: {required}", "required column is missing"))
        if problems:
            return {}, problems
        for row_no, row in enumerate(reader, start=2):
            row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            customer_no = row.pop("customer_no", "")
            if not customer_no:
                problems.append(Problem(row_no, "contacts file: customer_no", "is empty"))
                continue
            contact = {k: v for k, v in row.items() if v != ""}
            items = contacts.setdefault(customer_no, [])
            contact.setdefault("contact_id", str(len(items) + 1))
            items.append((row_no, contact))
    return contacts, problems


# ---------------------------------------------------------------- JSON Lines
class JsonRecords:
    def __init__(self, kind: str, stream):
        self.kind = kind
        self.stream = stream
        self.header_problems: list[Problem] = []

    def __iter__(self) -> Iterator[Record]:
        for line_no, line in enumerate(self.stream, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except ValueError as error:
                yield Record(line_no, {}, problems=[Problem(line_no, "(line)", f"not JSON: {error}")])
                continue
            if not isinstance(data, dict):
                yield Record(line_no, {}, problems=[Problem(line_no, "(line)", "must be a JSON object")])
                continue
            yield Record(line_no, data)


def records(kind: str, fmt: str, stream, contacts=None):
    if fmt == "csv":
        return CsvRecords(kind, stream, contacts)
    return JsonRecords(kind, stream)
