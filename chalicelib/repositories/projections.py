"""Read projections: plain rows built straight from DynamoDB's answer, read the way the model's
own attributes say (a page of 50 list items as PynamoDB objects cost most of a list page's own
time, bench/pages.py). A view names the model attributes it holds; how each is read comes from
the model, so a view cannot drift from it (tests/unit/test_layers.py checks the names)."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pynamodb.attributes import (
    Attribute,
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)


@dataclass(frozen=True)
class Fields:
    """The attributes of one view, grouped by how DynamoDB's JSON of each is read (sets, so the
    per-row loop stays a few set lookups: it runs for every attribute of every row)."""

    text: frozenset
    numbers: frozenset  # whole numbers here: cents, counts, quantities
    times: frozenset
    flags: frozenset
    other: Mapping[str, Callable[[dict], Any]] = field(default_factory=dict)  # lists, maps


def fields_of(
    attributes: Mapping[str, Attribute], names: Iterable[str], other: Mapping[str, Callable[[dict], Any]] = {}
) -> Fields:
    """Group the named attributes of a model by kind (`other`: read by the function given)."""
    kinds: dict[type, set] = {
        UTCDateTimeAttribute: set(),
        NumberAttribute: set(),
        UnicodeAttribute: set(),
        BooleanAttribute: set(),
    }
    for name in names:
        if name in other:
            continue
        kind = next((k for k in kinds if isinstance(attributes[name], k)), None)
        if kind is None:
            raise TypeError(f"{name}: no projection reader for {type(attributes[name]).__name__}")
        kinds[kind].add(name)
    return Fields(
        frozenset(kinds[UnicodeAttribute]),
        frozenset(kinds[NumberAttribute]),
        frozenset(kinds[UTCDateTimeAttribute]),
        frozenset(kinds[BooleanAttribute]),
        dict(other),
    )


def read(raw: dict, fields: Fields) -> dict[str, Any]:
    """The projected values of one raw item (attributes it does not hold are left out)."""
    values: dict[str, Any] = {}
    text, numbers, times, flags, other = (fields.text, fields.numbers, fields.times, fields.flags, fields.other)
    for name, value in raw.items():
        if name in text:
            values[name] = value["S"]
        elif name in numbers:
            values[name] = int(value["N"])
        elif name in times:
            values[name] = datetime.fromisoformat(value["S"])
        elif name in flags:
            values[name] = value["BOOL"]
        elif name in other:
            values[name] = other[name](value)
    return values
