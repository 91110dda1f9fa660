"""Read projections: plain rows built straight from DynamoDB's answer, read the way the model's
own attributes say (a row of 50 list items as PynamoDB objects cost most of a list page's own
time, bench/pages.py). A view names the model attributes it holds; how each is read comes from
the model, so a view cannot drift from it (tests/test_layers.py checks the names)."""
from datetime import datetime
from typing import Any, Callable, Dict, Iterable, Mapping

from pynamodb.attributes import (
    Attribute,
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

Reader = Callable[[dict], Any]  # one attribute's DynamoDB JSON -> its Python value


def _text(value: dict) -> str:
    return value["S"]


def _whole_number(value: dict) -> int:
    return int(value["N"])


def _time(value: dict) -> datetime:
    return datetime.fromisoformat(value["S"])


def _flag(value: dict) -> bool:
    return value["BOOL"]


def reader_of(attribute: Attribute) -> Reader:
    """How one scalar attribute of a model is read (numbers here are whole cents or counts)."""
    if isinstance(attribute, UTCDateTimeAttribute):
        return _time
    if isinstance(attribute, NumberAttribute):
        return _whole_number
    if isinstance(attribute, UnicodeAttribute):
        return _text
    if isinstance(attribute, BooleanAttribute):
        return _flag
    raise TypeError(f"no projection reader for {type(attribute).__name__}")


def readers(attributes: Mapping[str, Attribute], names: Iterable[str],
            special: Mapping[str, Reader] = {}) -> Dict[str, Reader]:
    """Readers of the named attributes (`special`: the ones read another way, e.g. lists)."""
    return {name: special[name] if name in special else reader_of(attributes[name])
            for name in names}


def read(raw: dict, by_name: Mapping[str, Reader]) -> Dict[str, Any]:
    """The projected values of one raw item (attributes it lacks, or that are NULL, are left out)."""
    values = {}
    for name, value in raw.items():
        read_one = by_name.get(name)
        if read_one is not None and "NULL" not in value:
            values[name] = read_one(value)
    return values
