"""The layers of docs/architecture.md, checked on the source (no import of the app needed).

- Only chalicelib/repositories touches DynamoDB's wire format (`["S"]`, `.get("N")`),
  PynamoDB's private API (`_`-prefixed names of pynamodb's classes) or builds and splits the
  `#`-joined key strings (every key goes through chalicelib/repositories/keys.py).
- Services and repositories never import the web layer (chalicelib.web) or the admin API's
  routes (chalicelib.api); repositories never import services.
"""
import ast
import inspect
import re
from pathlib import Path

import pynamodb.attributes
import pynamodb.connection
import pynamodb.models

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ["app.py", "chalicelib", "infra", "portal_cli"]
REPOSITORIES = ROOT / "chalicelib" / "repositories"
WIRE_TYPES = {"S", "N", "B", "M", "L", "SS", "NS", "BS", "BOOL", "NULL"}


def _sources():
    for entry in CHECKED:
        path = ROOT / entry
        yield from [path] if path.is_file() else sorted(path.rglob("*.py"))


def _private_pynamodb_names() -> set:
    """Every `_name` (not dunder) that pynamodb's public classes define."""
    names = set()
    for module in (pynamodb.models, pynamodb.attributes, pynamodb.connection):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__.startswith("pynamodb"):
                names |= {n for n in vars(cls) if n.startswith("_") and not n.startswith("__")}
    return names


PRIVATE = _private_pynamodb_names()
# `x#{…}`, `{…}#…`: a key string being built (a colour `#{hex}` or an anchor `(#{no})` is not).
KEY_AFTER_WORD = re.compile(r"[\w-]#$")


def _key_string_sites(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = node.values
            for i, part in enumerate(parts):
                if not (isinstance(part, ast.Constant) and isinstance(part.value, str)):
                    continue
                before = i > 0 and isinstance(parts[i - 1], ast.FormattedValue)
                after = i + 1 < len(parts) and isinstance(parts[i + 1], ast.FormattedValue)
                if (before and part.value.startswith("#")) or (after and KEY_AFTER_WORD.search(part.value)):
                    yield node.lineno, "builds a '#' key"
                    break
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            args = node.args
            if (node.func.attr in {"split", "rsplit", "partition", "rpartition"} and args
                    and isinstance(args[0], ast.Constant) and args[0].value == "#"):
                yield node.lineno, "splits a '#' key"
            if (node.func.attr == "join" and isinstance(node.func.value, ast.Constant)
                    and node.func.value.value == "#"):
                yield node.lineno, "joins a '#' key"


def _wire_format_sites(tree: ast.AST):
    for node in ast.walk(tree):
        if (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant)
                and node.slice.value in WIRE_TYPES):
            yield node.lineno, f'reads ["{node.slice.value}"]'
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "get" and node.args and isinstance(node.args[0], ast.Constant)
              and node.args[0].value in WIRE_TYPES):
            yield node.lineno, f'reads .get("{node.args[0].value}")'


def _private_api_sites(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in PRIVATE:
            if not (isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"}):
                yield node.lineno, f"uses pynamodb's private {node.attr}"


def _imports(tree: ast.AST, path: Path):
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def _findings(check) -> list:
    found = []
    for path in _sources():
        if REPOSITORIES in path.parents:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        found += [f"{path.relative_to(ROOT)}:{line}: {what}" for line, what in check(tree)]
    return found


def test_only_repositories_build_or_split_keys():
    assert _findings(_key_string_sites) == []


def test_only_repositories_read_dynamodb_json():
    assert _findings(_wire_format_sites) == []


def test_only_repositories_use_pynamodb_private_api():
    assert PRIVATE >= {"_get_connection", "_hash_keyname", "_get_schema"}
    assert _findings(_private_api_sites) == []


def _layer_imports(layer: str, forbidden: tuple) -> list:
    found = []
    for path in sorted((ROOT / "chalicelib" / layer).rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        found += [f"{path.relative_to(ROOT)}:{line}: imports {name}"
                  for line, name in _imports(tree, path)
                  if any(name == f or name.startswith(f + ".") for f in forbidden)]
    return sorted(set(found))


def test_services_never_import_web_or_api():
    assert _layer_imports("services", ("chalicelib.web", "chalicelib.api")) == []


def test_repositories_never_import_services_web_or_api():
    assert _layer_imports("repositories",
                          ("chalicelib.services", "chalicelib.web", "chalicelib.api")) == []


def test_the_checks_find_what_they_look_for():
    """Each check flags a sample of what it forbids, and passes what it allows."""
    bad = ast.parse('k = f"{company}#{no}"\nc, n = k.split("#", 1)\nraw["S"]\nraw.get("N")\n'
                    'Model._get_connection()\nt = f"reset#{h}"')
    ok = ast.parse('c = f"#{hex}"\nlabel = f"{name} (#{no})"\nref = f"#/components/{n}"\n'
                   'self._hash_keyname\nrow["name"]')
    assert len(list(_key_string_sites(bad))) == 3
    assert len(list(_wire_format_sites(bad))) == 2
    assert len(list(_private_api_sites(bad))) == 1
    assert not list(_key_string_sites(ok)) + list(_wire_format_sites(ok)) + list(_private_api_sites(ok))


def test_read_projections_hold_only_model_attributes():
    """The list pages' rows are read the way the model's attributes say
    (chalicelib/repositories/projections.py): each field must be one of them."""
    from chalicelib.models import Customer, Invoice, InvoiceLine, LedgerEntry
    from chalicelib.repositories.accounts import Location
    from chalicelib.repositories.invoices import InvoiceHeader, LineView
    from chalicelib.repositories.ledger import EntryView

    for view, model in ((InvoiceHeader, Invoice), (LineView, InvoiceLine),
                        (EntryView, LedgerEntry), (Location, Customer)):
        assert set(view.__dataclass_fields__) <= set(model.get_attributes()), view.__name__
