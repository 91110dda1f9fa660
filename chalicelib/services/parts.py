"""Parts Lookup and the cart: what a customer sees of the catalogue, by the company's
settings, and the rules of a cart (docs/parts.md).

Collaborators are passed in (`repo`: chalicelib/repositories/parts.py) so the bench and
tests count and drive the real queries.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime

from .. import clock
from ..models import Company, Part
from ..models.base import plain_dict
from ..repositories import accounts, paging
from ..repositories import parts as parts_repo
from ..repositories.keys import part_number, part_words

PAGE_SIZE = 25
MAX_QTY = 9999
MAX_CART_LINES = 100
MULTI_WORD_READ = 100  # candidates one round of a multi-word search examines
MULTI_WORD_ROUNDS = 2  # rounds a page may take: at most 200 candidates, 4 calls
LIST = "list"
STALE_CART = (
    "Your cart was changed in another tab or on another device. Here it is as it is now; make your change again."
)


class PartsInputError(ValueError):
    """Something typed cannot be done; the message says what (shown in the form)."""


class StaleCart(PartsInputError):
    pass


# ------------------------------------------------------------------ display
@dataclass
class View:
    """How this customer sees parts: which price level (None: hidden) and availability."""

    price_level: str | None
    order_level: str  # the level an order is priced at (also when prices are hidden)
    qty_display: str  # quantity | in_stock | hide
    low_stock: int
    branches: dict[str, str]

    @property
    def prices_shown(self) -> bool:
        return self.price_level is not None


def view_for(company: Company, customer_level: str | None) -> View:
    own = (customer_level or LIST).lower()
    display = company.parts_price_display or "price"
    order_level = LIST if display == "list" else own
    return View(
        price_level=None if display == "hide" else order_level,
        order_level=order_level,
        qty_display=company.parts_qty_display or "quantity",
        low_stock=int(company.parts_low_stock if company.parts_low_stock is not None else 5),
        branches=plain_dict(company.parts_branches or {}),
    )


def customer_view(company: Company, customer_no: str, bill_to=None) -> View:
    """One GetItem: the customer's price level (the bill-to row)."""
    row = bill_to if bill_to is not None else accounts.bill_to(company.company_id, customer_no)
    return view_for(company, row.price_level if row is not None else None)


def price_of(part: Part, level: str) -> int | None:
    prices = plain_dict(part.prices)
    cents = prices.get(level, prices.get(LIST))
    return int(cents) if cents is not None else None


def stock_label(qty: int, low_stock: int) -> str:
    if qty <= 0:
        return "Out of stock"
    return "Low stock" if qty < low_stock else "In stock"


@dataclass
class PartRow:
    part: Part
    price_cents: int | None  # None: hidden or no price
    availability: str | None  # None: hidden
    stock: str  # In stock / Low stock / Out of stock (for change notices)
    branches: list[tuple[str, str]] = field(default_factory=list)  # (branch label, text)
    orderable: bool = True
    why_not: str = ""


def row(part: Part, view: View) -> PartRow:
    qty = int(part.qty_available or 0)
    stock = stock_label(qty, view.low_stock)
    if view.qty_display == "quantity":
        availability = f"{qty:,} available" if qty > 0 else "Out of stock"
    elif view.qty_display == "in_stock":
        availability = stock
    else:
        availability = None
    branches = []
    if availability is not None:
        for branch in part.branches or []:
            label = view.branches.get(branch.branch, branch.branch)
            bq = int(branch.qty or 0)
            branches.append(
                (
                    label,
                    (f"{bq:,}" if bq > 0 else "Out of stock")
                    if view.qty_display == "quantity"
                    else stock_label(bq, view.low_stock),
                )
            )
    price = price_of(part, view.price_level) if view.price_level is not None else None
    result = PartRow(part, price, availability, stock, branches)
    if part.discontinued:
        result.orderable, result.why_not = False, "Discontinued: it can no longer be ordered."
    elif part.superseded_by:
        result.orderable = False
        result.why_not = f"Replaced by {part.superseded_by}."
    elif price_of(part, view.order_level) is None:
        result.orderable, result.why_not = False, "Not priced for online orders; call us."
    return result


# ------------------------------------------------------------------- search
@dataclass
class SearchPage:
    query: str
    mode: str  # number | words | none
    rows: list[PartRow]
    cursor: str | None
    calls: int
    note: str = ""


def _words(text: str) -> list[str]:
    return sorted(part_words(text), key=lambda w: (-len(w), w))


def _cursor(mode: str, key: dict | None) -> str | None:
    return paging.encode({"m": mode, "k": key}) if key else None


def _start(cursor: str | None, mode: str, company_id: str, hash_attr: str, hash_value: str) -> dict | None:
    if not cursor:
        return None
    data = paging.load(cursor)
    if not isinstance(data, dict) or data.get("m") != mode or not isinstance(data.get("k"), dict):
        raise paging.BadCursor("cursor for another search")
    key = data["k"]
    if key.get(hash_attr) != {"S": hash_value} or key.get("company_id", {"S": company_id}) != {"S": company_id}:
        raise paging.BadCursor("cursor for another search")
    return key


def search(company: Company, view: View, text: str, cursor: str | None = None, repo=parts_repo) -> SearchPage:
    """Number prefix (ignoring case, spaces and dashes) or description words.

    Text with a digit is tried as a number first: 1 Query; when its first page finds no
    number, the words.  One word of letters only is tried as a description word first
    (1 Query of its tokens + 1 BatchGetItem), then, when no description has it, as a
    number (1 Query): a page costs at most 2 calls either way, 4 with the session and the
    request context.  Several words: the longest word's tokens, MULTI_WORD_READ at a time,
    kept when the description has every word, at most MULTI_WORD_ROUNDS rounds a page
    (≤ 4 calls, ≤ 200 candidates; one more when the words contain a digit and were first
    tried as a number)."""
    company_id = company.company_id
    text = " ".join((text or "").split())[:80]
    number = part_number(text)
    words = _words(text)
    mode = (paging.load(cursor) or {}).get("m") if cursor else None
    calls = 0
    if not number:
        return SearchPage(text, "none", [], None, 0)
    has_digit = any(c.isdigit() for c in text)
    letters_word = len(text.split()) == 1 and not has_digit  # "pump", "DE-GONE"

    def number_page() -> SearchPage | None:
        nonlocal calls
        start = _start(cursor, "n", company_id, "company_id", company_id) if mode == "n" else None
        items, key = repo.by_number(company_id, number, PAGE_SIZE, start)
        calls += 1
        if items or mode == "n":
            return SearchPage(text, "number", [row(p, view) for p in items], _cursor("n", key), calls)
        return None

    if mode == "n" or (mode is None and has_digit):
        found_number = number_page()
        if found_number:
            return found_number
    if not words:
        found_number = number_page() if mode is None and letters_word else None
        return found_number or SearchPage(
            text, "words", [], None, calls, note="Description words need at least 3 letters."
        )
    from ..repositories.keys import part_token_pk

    first = words[0]
    start = _start(cursor, "w", company_id, "token_pk", part_token_pk(company_id, first)) if mode == "w" else None
    if len(words) == 1:
        part_nos, key = repo.by_word(company_id, first, PAGE_SIZE, start)
        found = repo.many(company_id, part_nos)
        calls += 1 + bool(part_nos)
        rows = [row(found[n], view) for n in part_nos if n in found]
        if not rows and mode is None and letters_word:
            # No description has the word: it may be a part number of letters ("DE-GONE").
            found_number = number_page()
            if found_number:
                return found_number
        return SearchPage(text, "words", rows, _cursor("w", key), calls)
    rows, key = [], start
    for _round in range(MULTI_WORD_ROUNDS):
        part_nos, key = repo.by_word(company_id, first, MULTI_WORD_READ, key)
        found = repo.many(company_id, part_nos)
        calls += 2
        for n in part_nos:
            part = found.get(n)
            if part is not None and set(words) <= part_words(part.description):
                rows.append(row(part, view))
        if not key or len(rows) >= PAGE_SIZE:
            break
    note = "" if len(rows) >= PAGE_SIZE or not key else "More parts may match: look further with “More results”."
    return SearchPage(text, "words", rows, _cursor("w", key), calls, note=note)


def exact(company_id: str, text: str, repo=parts_repo) -> Part | None:
    """The part whose number is exactly `text` (case, spaces and dashes ignored)."""
    number = part_number(text)
    if not number:
        return None
    items, _ = repo.by_number(company_id, number, 2, None)
    return next((p for p in items if part_number(p.part_no) == number), None)


def chain(company_id: str, part: Part, repo=parts_repo, limit: int = 5) -> list[Part]:
    """The supersession chain after `part` (X replaced by Y replaced by Z), ≤ 5 steps."""
    seen, current = {part.part_no}, part
    result: list[Part] = []
    while current.superseded_by and current.superseded_by not in seen and len(result) < limit:
        nxt = repo.get(company_id, current.superseded_by)
        if nxt is None:
            break
        result.append(nxt)
        seen.add(nxt.part_no)
        current = nxt
    return result


# --------------------------------------------------------------------- cart
QTY = re.compile(r"^\s*\d{1,7}\s*$")


def parse_quantity(text: str, pack_qty: int = 1) -> int:
    raw = (text or "").strip()
    if not raw:
        raise PartsInputError("Enter a quantity.")
    if not QTY.match(raw):
        raise PartsInputError("Enter the quantity as a whole number from 1 to 9,999.")
    qty = int(raw)
    if not 1 <= qty <= MAX_QTY:
        raise PartsInputError("Enter the quantity as a whole number from 1 to 9,999.")
    if pack_qty > 1 and qty % pack_qty:
        raise PartsInputError(f"This part is sold in packs of {pack_qty}: order a multiple of {pack_qty}.")
    return qty


@dataclass
class CartLineView:
    row: PartRow
    quantity: int
    price_cents: int | None  # the order price (None when prices are hidden)
    extension_cents: int | None
    changes: list[str]


@dataclass
class CartView:
    version: int
    lines: list[CartLineView]
    notices: list[str]
    total_cents: int | None
    count: int  # distinct parts (the header badge)
    blocked: list[str]  # why it cannot be ordered as it is


def _line_dict(line) -> dict:
    data = plain_dict(line) if not isinstance(line, dict) else line
    return {
        "part_no": data["part_no"],
        "quantity": int(data["quantity"]),
        "price_cents": None if data.get("price_cents") is None else int(data["price_cents"]),
        "stock": data.get("stock"),
    }


def _in_packs(part: Part, qty: int) -> int:
    """`qty` rounded up to whole packs of the part (at least one pack)."""
    pack = int(part.pack_qty or 1)
    return max(pack, -(-qty // pack) * pack)


def _most(part: Part) -> int:
    """The most of a part one cart line takes: 9,999 rounded down to whole packs."""
    pack = int(part.pack_qty or 1)
    return MAX_QTY // pack * pack


@dataclass
class Skipped:
    """An "order again" line not added, why, and the part offered instead (if any)."""

    part_no: str
    quantity: int
    reason: str
    replacement: str | None = None
    replacement_qty: int = 0


@dataclass
class AgainResult:
    added: list[tuple[str, int]]  # (part number, quantity added)
    skipped: list[Skipped]


class Carts:
    """The rules of the cart, over the parts repository."""

    def __init__(
        self,
        company: Company,
        customer_no: str,
        user_id: str,
        repo=parts_repo,
        now=clock.utcnow,
        bill_to=None,
        cart=None,
    ):
        """`bill_to` and `cart`: as the request already read them (saves their reads); the cart
        is used until this object first writes it."""
        self.company, self.customer_no, self.user_id = company, customer_no, user_id
        self.repo, self.now = repo, now
        self._cart = cart
        self._bill_to = bill_to
        self._bill_to_read = bill_to is not None
        self._view: View | None = None

    @property
    def bill_to(self):
        """The customer's bill-to row (price level, charge to account): 1 GetItem, once."""
        if not self._bill_to_read:
            self._bill_to = accounts.bill_to(self.company.company_id, self.customer_no)
            self._bill_to_read = True
        return self._bill_to

    @property
    def view(self) -> View:
        if self._view is None:
            row_ = self.bill_to
            self._view = view_for(self.company, row_.price_level if row_ is not None else None)
        return self._view

    def cart(self):
        if self._cart is not None:
            return self._cart
        return self.repo.get_cart(self.company.company_id, self.customer_no, self.user_id)

    def _orderable_part(self, part_no: str) -> Part:
        part = self.repo.get(self.company.company_id, part_number_stored(part_no)) if part_no else None
        if part is None:
            part = exact(self.company.company_id, part_no, self.repo) if part_no else None
        if part is None:
            raise PartsInputError(f"There is no part {part_no[:40]!r}. Check the number.")
        r = row(part, self.view)
        if not r.orderable:
            raise PartsInputError(f"{part.part_no}: {r.why_not}")
        return part

    def _save(self, cart, lines: list[dict], seen_version: int) -> None:
        if len(lines) > MAX_CART_LINES:
            raise PartsInputError(f"A cart holds at most {MAX_CART_LINES} different parts.")
        self._cart = None  # read it again after any write
        if not self.repo.save_cart(cart, lines, seen_version, self.now()):
            raise StaleCart(STALE_CART)

    def _snapshot(self, part: Part, qty: int) -> dict:
        r = row(part, self.view)
        return {
            "part_no": part.part_no,
            "quantity": qty,
            "price_cents": price_of(part, self.view.order_level),
            "stock": r.stock,
        }

    def add(self, part_no: str, qty_text: str, version: int | None = None) -> Part:
        """Add (or add to) a line; the quantity is checked against the part's pack."""
        part = self._orderable_part(part_no)
        qty = parse_quantity(qty_text, int(part.pack_qty or 1))
        cart = self.cart()
        seen = int(cart.version or 0)
        if version is not None and version != seen:
            raise StaleCart(STALE_CART)
        lines = [_line_dict(line) for line in cart.lines or []]
        for line in lines:
            if line["part_no"] == part.part_no:
                if line["quantity"] + qty > MAX_QTY:
                    raise PartsInputError(
                        f"{part.part_no}: at most 9,999 in one order (the cart has {line['quantity']:,})."
                    )
                line.update(self._snapshot(part, line["quantity"] + qty))
                break
        else:
            lines.append(self._snapshot(part, qty))
        self._save(cart, lines, seen)
        return part

    def add_many(self, wanted: list[tuple[str, int]]) -> "AgainResult":
        """Order again: every line that can still be ordered, rounded up to whole packs
        (1 BatchGet + 1 Put; + ≤ 2 BatchGets when a part was replaced).  A superseded or
        discontinued part is skipped and its orderable replacement offered, not swapped
        in silently: the customer decides (its price and fit may differ)."""
        cart = self.cart()
        seen = int(cart.version or 0)
        lines = [_line_dict(line) for line in cart.lines or []]
        company_id = self.company.company_id
        found = self.repo.many(company_id, list(dict.fromkeys(part_number_stored(n) for n, _ in wanted)))
        result = AgainResult([], [])
        for part_no, qty in wanted:
            part = found.get(part_number_stored(part_no))
            current = next((line for line in lines if part and line["part_no"] == part.part_no), None)
            before = current["quantity"] if current else 0
            skipped = self._not_added(part, part_no, int(qty), before)
            if skipped is not None:
                result.skipped.append(skipped)
                continue
            assert part is not None  # _not_added skips a part not found
            total = min(_most(part), _in_packs(part, int(qty)) + before)
            if current:
                current.update(self._snapshot(part, total))
            else:
                lines.append(self._snapshot(part, total))
            result.added.append((part.part_no, total - before))
        self._offer_replacements(result.skipped)
        if result.added:
            self._save(cart, lines, seen)
        return result

    def _not_added(self, part: Part | None, part_no: str, qty: int, in_cart: int) -> "Skipped | None":
        """Why `qty` of a part cannot be added to a line that holds `in_cart` (None: it can)."""
        if part is None:
            return Skipped(part_no, qty, "is no longer in our catalogue.")
        r = row(part, self.view)
        if not r.orderable:
            return Skipped(part.part_no, qty, r.why_not, part.superseded_by or None)
        qty = _in_packs(part, qty)
        if min(_most(part), qty + in_cart) <= in_cart:
            return Skipped(part.part_no, qty, "your cart already has the most one order takes.")
        return None

    def told_again(self, added: list[tuple[str, int]], not_added: list[tuple[str, int]]) -> "AgainResult":
        """An order again told on the cart page it redirected to (Post/Redirect/Get).  The
        address carries only part numbers and quantities, so nothing in it is taken on trust:
        a line the cart does not hold is not told as added, and each reason a line was not
        added is found again in the catalogue and the cart (1 BatchGet, + <= 2 for
        replacements; none when every line was added)."""
        in_cart = {line["part_no"]: line["quantity"] for line in map(_line_dict, self.cart().lines or [])}
        result = AgainResult([(n, q) for n, q in added if n in in_cart], [])
        if not_added:
            numbers = list(dict.fromkeys(part_number_stored(n) for n, _ in not_added))
            found = self.repo.many(self.company.company_id, numbers)
            for part_no, qty in not_added:
                part = found.get(part_number_stored(part_no))
                skipped = self._not_added(part, part_no, qty, in_cart.get(part.part_no, 0) if part else 0)
                if skipped is not None:  # else it could be added: the address is not what happened
                    result.skipped.append(skipped)
            self._offer_replacements(result.skipped)
        return result

    def _offer_replacements(self, skipped: list["Skipped"]) -> None:
        """Follow "replaced by" (≤ 2 more BatchGets) to a part that can be ordered."""
        pending = [s for s in skipped if s.replacement]
        for _step in range(2):
            wanted = list(dict.fromkeys(s.replacement for s in pending if s.replacement))
            if not wanted:
                return
            found = self.repo.many(self.company.company_id, wanted)
            still = []
            for item in pending:
                part = found.get(item.replacement or "")
                if part is None:
                    item.replacement = None
                    continue
                if row(part, self.view).orderable:
                    item.replacement_qty = min(_most(part), _in_packs(part, item.quantity))
                    continue
                item.replacement = part.superseded_by or None
                if item.replacement:
                    still.append(item)
            pending = still
        for item in pending:  # a chain longer than this is not offered
            item.replacement = None

    def change(self, part_no: str, qty_text: str, version: int) -> None:
        cart = self.cart()
        seen = int(cart.version or 0)
        if version != seen:
            raise StaleCart(STALE_CART)
        lines = [_line_dict(line) for line in cart.lines or []]
        line = next((line for line in lines if line["part_no"] == part_no), None)
        if line is None:
            raise StaleCart(STALE_CART)
        part = self.repo.get(self.company.company_id, part_no)
        pack = int(part.pack_qty or 1) if part is not None else 1
        line["quantity"] = parse_quantity(qty_text, pack)
        self._save(cart, lines, seen)

    def remove(self, part_no: str, version: int) -> None:
        cart = self.cart()
        seen = int(cart.version or 0)
        if version != seen:
            raise StaleCart(STALE_CART)
        lines = [line for line in (_line_dict(x) for x in cart.lines or []) if line["part_no"] != part_no]
        self._save(cart, lines, seen)

    def empty(self, version: int) -> None:
        cart = self.cart()
        seen = int(cart.version or 0)
        if version != seen:
            raise StaleCart(STALE_CART)
        self._save(cart, [], seen)

    def show(self, remember: bool = True) -> tuple[CartView, object]:
        """The cart with today's prices and availability (1 GetItem + 1 BatchGetItem;
        the customer's level: 1 GetItem); what changed since a line was added is said,
        and, with `remember`, remembered as seen (1 PutItem, only when something changed)."""
        cart = self.cart()
        version = int(cart.version or 0)
        lines = [_line_dict(line) for line in cart.lines or []]
        found = self.repo.many(self.company.company_id, [line["part_no"] for line in lines])
        views, notices, blocked, changed = [], [], [], False
        total: int | None = 0
        for line in lines:
            part = found.get(line["part_no"])
            if part is None:
                blocked.append(f"{line['part_no']} is no longer in the catalogue: remove it.")
                continue
            r = row(part, self.view)
            price = price_of(part, self.view.order_level)
            changes: list[tuple[str, int | None, int | None]] = []
            if line["price_cents"] is not None and price is not None and price != line["price_cents"]:
                changes.append(("Price changed from {old} to {new}", line["price_cents"], price))
            if self.view.qty_display != "hide" and line.get("stock") and line["stock"] != r.stock:
                changes.append((f"Availability changed: now {r.stock.lower()}", None, None))
            if not r.orderable:
                blocked.append(f"{part.part_no}: {r.why_not} Remove it to check out.")
            pack = int(part.pack_qty or 1)
            if pack > 1 and line["quantity"] % pack:
                blocked.append(f"{part.part_no} is now sold in packs of {pack}: change the quantity.")
            texts = []
            for template, old, new in changes:
                if old is not None and new is not None and self.view.prices_shown:
                    texts.append(template.format(old=_dollars(old), new=_dollars(new)))
                elif old is None:
                    texts.append(template)
                else:
                    texts.append("Price changed")
            if changes:
                changed = True
                notices.append(f"{part.part_no}: " + "; ".join(texts) + ".")
                line["price_cents"], line["stock"] = price, r.stock
            ext = price * line["quantity"] if price is not None else None
            if ext is not None and total is not None:
                total += ext
            elif r.orderable:
                total = None
            views.append(
                CartLineView(
                    r,
                    line["quantity"],
                    price if self.view.prices_shown else None,
                    ext if self.view.prices_shown else None,
                    texts,
                )
            )
        if changed and remember:
            self._cart = None  # read it again after any write
            if self.repo.save_cart(cart, lines, version, self.now()):
                version += 1
        return CartView(version, views, notices, total if self.view.prices_shown else None, len(lines), blocked), cart


def _dollars(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def part_number_stored(text: str) -> str:
    """The catalogue key of a typed number (as the ERP sent it, upper-cased)."""
    return " ".join((text or "").split()).upper()[:40]


def now() -> datetime:
    return clock.utcnow()
