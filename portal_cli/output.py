"""Printing: rich tables for people, `--json` for scripts; errors to stderr."""

import json
import sys

from rich.console import Console
from rich.table import Table


def stdout() -> Console:
    # Made per call: click's test runner swaps sys.stdout between invocations.  Into a pipe
    # or a file, tables are not squeezed into 80 columns.
    return Console(file=sys.stdout, soft_wrap=True, width=None if sys.stdout.isatty() else 200)


def stderr() -> Console:
    return Console(file=sys.stderr, soft_wrap=True)


def print_json(data) -> None:
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def scalar(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def key_values(title: str, data: dict) -> Table:
    table = Table(title=title, show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    for key in sorted(data):
        table.add_row(key, scalar(data[key]))
    return table


def rows(title: str, columns: list[str], items: list[dict]) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for item in items:
        table.add_row(*(scalar(item.get(column)) for column in columns))
    return table
