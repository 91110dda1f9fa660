"""Batch upserts and deletes of ERP records (docs/erp-import.md, docs/data-model.md).

Each record is validated and written on its own: good records are written even when
others in the batch are rejected, and the answer says per record what happened.
Stale rule: a record changes the stored one only if its `updated_at` is later than the
stored `erp_updated_at` (checked again by a conditional write, so concurrent pushes
cannot overwrite a newer record).  Same content → "unchanged".
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError

from .. import clock
from ..contract.schemas import KINDS, FieldError, validation_errors
from ..models import (
    Company,
    Contact,
    Customer,
    Dealer,
    Equipment,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    Part,
    Payment,
    Statement,
    WebAccess,
)
from ..models.customer import BILL_TO
from ..repositories import accounts, ar_totals, dealers, erp
from ..repositories.keys import (
    account_pk,
    credit_key,
    customer_name_key,
    invoice_keys,
    invoice_pk,
    ledger_entry_key,
    part_number_key,
    part_words,
)

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
STALE, REJECTED, DELETED = "skipped_stale", "rejected", "deleted"


@dataclass
class Result:
    index: int
    key: str
    outcome: str = REJECTED
    errors: list[FieldError] = field(default_factory=list)
    ignored_fields: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "index": self.index,
            "key": self.key,
            "outcome": self.outcome,
            "errors": [e.model_dump() for e in self.errors],
            "ignored_fields": self.ignored_fields,
            "warnings": self.warnings,
        }


@dataclass
class Context:
    company: Company
    now: datetime
    # Called for a NEW invoice: returns warnings (auto-generated credentials, §7).
    on_new_invoice: Callable[[Company, Invoice], list[str]] | None = None


def _validate(kind_model, records: list, key_of) -> tuple:
    results, valid = [], []
    for index, raw in enumerate(records):
        key = key_of(raw) if isinstance(raw, dict) else ""
        result = Result(index, key)
        results.append(result)
        if not isinstance(raw, dict):
            result.errors = [FieldError(field="(record)", reason="must be a JSON object")]
            continue
        try:
            record = kind_model.model_validate(raw)
        except ValidationError as error:
            result.errors = validation_errors(error)
            continue
        result.key = key_of(record)
        valid.append((result, record))
    return results, valid


def _answer(results: list[Result]) -> dict:
    summary = {name: 0 for name in (CREATED, UPDATED, UNCHANGED, STALE, REJECTED, DELETED)}
    for result in results:
        summary[result.outcome] += 1
    return {"results": [r.as_dict() for r in results], "summary": summary}


def upsert(kind: str, records: list, ctx: Context) -> dict:
    spec = KINDS[kind]
    results, valid = _validate(spec.record, records, spec.key)
    UPSERTS[kind](valid, ctx)
    return _answer(results)


def delete(kind: str, records: list, ctx: Context) -> dict:
    spec = KINDS[kind]
    results, valid = _validate(spec.delete, records, spec.key)
    DELETES[kind](valid, ctx)
    return _answer(results)


# --- one item per record -----------------------------------------------------------------


def _content(item, keep=()) -> dict:
    data = item.serialize()
    for name in ("erp_updated_at",) + tuple(keep):
        data.pop(name, None)
    return data


def _write_single(pairs, ctx: Context, build, after=None, preserve=(), save=None) -> None:
    """pairs: (result, record); build(record) -> item.  `preserve`: attributes the ERP
    does not send (e.g. pdf_key) copied from the stored item.  `save(item, old,
    updated_at) -> (written, old)` when a write depends on what it replaces."""
    built = [(result, record, build(record, ctx)) for result, record in pairs]
    if not built:
        return
    model = type(built[0][2])
    stored = erp.batch_get(model, [erp.key_of(item) for _, _, item in built])
    for result, record, item in built:
        old = stored.get(erp.key_of(item))
        for name in preserve:
            if old is not None and getattr(old, name, None) is not None:
                setattr(item, name, getattr(old, name))
        if old is not None and old.erp_updated_at and old.erp_updated_at >= record.updated_at:
            result.outcome = UNCHANGED if _content(old) == _content(item) else STALE
            continue
        if old is not None and _content(old) == _content(item):
            erp.touch_if_newer(item, record.updated_at)
            result.outcome = UNCHANGED
            continue
        if save is not None:
            written, old = save(item, old, record.updated_at)
        else:
            written = erp.put_if_newer(item, record.updated_at)
        if not written:
            result.outcome = STALE  # a newer record landed meanwhile
            continue
        result.outcome = CREATED if old is None else UPDATED
        stored[erp.key_of(item)] = item
        if after:
            after(result, record, item, old, ctx)


def _delete_single(pairs, ctx: Context, key, after=None, delete=None) -> None:
    """key(record, ctx) -> a key-only item of the model to delete.  `delete(old) -> bool`
    when the delete must be of exactly the stored version."""
    targets = [(result, record, key(record, ctx)) for result, record in pairs]
    if not targets:
        return
    model = type(targets[0][2])
    stored = erp.batch_get(model, [erp.key_of(item) for _, _, item in targets])
    for result, record, item in targets:
        old = stored.get(erp.key_of(item))
        if old is None:
            result.outcome = UNCHANGED
            result.warnings.append("nothing stored under this key")
            continue
        if old.erp_updated_at and old.erp_updated_at > record.updated_at:
            result.outcome = STALE
            continue
        deleted = delete(old) if delete else erp.delete_if_not_newer(old, record.updated_at)
        if not deleted:
            result.outcome = STALE
            continue
        result.outcome = DELETED
        if after:
            after(old, ctx)


def _iso(day) -> str | None:
    return day.isoformat() if day else None


# invoices


def _invoice(record, ctx: Context) -> Invoice:
    company_id = ctx.company.company_id
    keys = invoice_keys(
        company_id,
        record.invoice_no,
        record.customer_no,
        record.state,
        record.invoice_date.isoformat(),
        _iso(record.due_date),
        record.balance,
        record.dealer_code,
    )
    lines = [
        InvoiceLine(
            line_no=line.line_no,
            part_no=line.part_no,
            description=line.description,
            qty_ordered=line.qty_ordered,
            qty_shipped=line.qty_shipped,
            qty_backordered=line.qty_backordered,
            price_cents=line.price,
            extension_cents=(line.extension if line.extension is not None else line.qty_ordered * line.price),
            expected_on=_iso(line.expected_on),
        )
        for line in sorted(record.lines, key=lambda line: line.line_no)
    ]
    return Invoice(
        keys.pop("pk"),
        company_id=company_id,
        invoice_no=record.invoice_no,
        customer_no=record.customer_no,
        location_id=record.location_id or BILL_TO,
        dealer_code=record.dealer_code,
        state=record.state,
        status=record.status,
        status_dates={k: v.isoformat() for k, v in record.status_dates.items()},
        invoice_date=record.invoice_date.isoformat(),
        due_date=_iso(record.due_date),
        po_number=record.po_number,
        ship_to=record.ship_to,
        equipment_serial=record.equipment_serial,
        lines=lines,
        subtotal_cents=record.subtotal,
        tax_cents=record.tax,
        total_cents=record.total,
        balance_cents=record.balance,
        applied_payment_ids=list(record.applied_payment_ids),
        erp_updated_at=record.updated_at,
        **keys,
    )


def _after_invoice(result, record, item, old, ctx: Context) -> None:
    applied = set(record.applied_payment_ids) - set(old.applied_payment_ids if old else [])
    if applied:
        erp.mark_applied(ctx.company.company_id, sorted(applied))
    if old is None and ctx.on_new_invoice is not None:
        result.warnings.extend(ctx.on_new_invoice(ctx.company, item))


def _save_invoice(moves, item, old, updated_at):
    """Written only over exactly the version read, since the account's open-AR totals
    move by the difference; when an older push landed in between, read and retry."""
    for _attempt in range(3):
        if moves.save(item, old):
            return True, old
        old = ar_totals.stored_invoice(item.pk)
        if old is not None and old.erp_updated_at >= updated_at:
            return False, old
        if old is not None and old.pdf_key:
            item.pdf_key = old.pdf_key
    return False, old


def _upsert_invoices(pairs, ctx):
    company_id = ctx.company.company_id
    with ar_totals.Moves(account_pk(company_id, record.customer_no) for _, record in pairs) as moves:
        _write_single(
            pairs,
            ctx,
            _invoice,
            _after_invoice,
            preserve=("pdf_key",),
            save=lambda item, old, updated_at: _save_invoice(moves, item, old, updated_at),
        )


def _delete_invoices(pairs, ctx):
    _delete_single(
        pairs,
        ctx,
        lambda r, c: Invoice(invoice_pk(c.company.company_id, r.invoice_no)),
        delete=ar_totals.delete_invoice,
    )


# ledger, statements, equipment


def _ledger(record, ctx) -> LedgerEntry:
    company_id = ctx.company.company_id
    return LedgerEntry(
        account_pk(company_id, record.customer_no),
        ledger_entry_key(record.entry_date.isoformat(), record.entry_id),
        kind=record.kind,
        reference=record.reference,
        amount_cents=record.amount,
        entry_date=record.entry_date.isoformat(),
        open_cents=record.open_amount or None,
        credit_pk=credit_key(company_id, record.customer_no, record.kind, record.open_amount),
        erp_updated_at=record.updated_at,
    )


def _save_ledger(item, old, updated_at):
    """Written only over exactly the version read, since the account's open credits
    move by the difference (docs/balance.md); an older push landing in between: retry."""
    for _attempt in range(3):
        if ar_totals.save_ledger_entry(item, old):
            return True, old
        old = erp.batch_get(LedgerEntry, [erp.key_of(item)]).get(erp.key_of(item))
        if old is not None and old.erp_updated_at >= updated_at:
            return False, old
    return False, old


def _statement(record, ctx) -> Statement:
    return Statement(
        account_pk(ctx.company.company_id, record.customer_no),
        record.statement_date.isoformat(),
        balance_cents=record.balance,
        erp_updated_at=record.updated_at,
    )


def _after_statement(result, record, item, old, ctx) -> None:
    """The account's list of statements (on its AR totals item, read by /statements) moves too."""
    ar_totals.note_statement(item.customer_pk, item.statement_date, int(item.balance_cents))


def _equipment(record, ctx) -> Equipment:
    return Equipment(
        account_pk(ctx.company.company_id, record.customer_no),
        record.serial_no,
        make=record.make,
        model=record.model,
        description=record.description,
        location_id=record.location_id,
        purchased_on=_iso(record.purchased_on),
        installed_on=_iso(record.installed_on),
        warranty_ends_on=_iso(record.warranty_ends_on),
        invoice_nos=list(record.invoice_nos),
        erp_updated_at=record.updated_at,
    )


# parts (+ description-word tokens)


def _part(record, ctx) -> Part:
    from ..models.commerce import BranchStock

    branches = [BranchStock(branch=b.branch.upper(), qty=b.qty) for b in record.branches]
    part_no = record.part_no.upper()
    return Part(
        ctx.company.company_id,
        part_no,
        number_key=part_number_key(part_no),
        description=record.description,
        unit=record.unit.upper(),
        pack_qty=record.pack_qty,
        prices=dict(record.prices),
        qty_available=sum(b.qty for b in branches) if branches else record.qty_available,
        branches=branches or None,
        superseded_by=record.superseded_by,
        alternates=[a for a in dict.fromkeys(record.alternates) if a != part_no] or None,
        discontinued=record.discontinued,
        core_charge_cents=record.core_charge,
        erp_updated_at=record.updated_at,
    )


def _replace_derived(items_of, company_id: str, key: str, before: set, after: set) -> None:
    """Index items derived from a record (part word tokens, dealer links): drop the
    ones it no longer has, add the new ones."""
    erp.delete_all(items_of(company_id, key, before - after))
    erp.save_all(items_of(company_id, key, after - before))


def _after_part(result, record, item, old, ctx) -> None:
    _replace_derived(
        erp.part_tokens,
        ctx.company.company_id,
        item.part_no,
        part_words(old.description) if old else set(),
        part_words(item.description),
    )


def _after_part_deleted(old, ctx) -> None:
    erp.delete_all(erp.part_tokens(ctx.company.company_id, old.part_no, part_words(old.description)))


# dealers (+ one link item per linked account)


def _dealer(record, ctx) -> Dealer:
    return Dealer(
        ctx.company.company_id,
        record.dealer_code,
        name=record.name,
        linked_customer_nos=list(dict.fromkeys(record.linked_customer_nos)),
        erp_updated_at=record.updated_at,
    )


def _after_dealer(result, record, item, old, ctx) -> None:
    before = set(old.linked_customer_nos) if old else set()
    after = set(item.linked_customer_nos)
    _replace_derived(erp.dealer_links, ctx.company.company_id, item.dealer_code, before, after)
    # The accounts' dealer codes as the request context reads them (models/customer.py).
    dealers.change_account_codes(ctx.company.company_id, item.dealer_code, after - before, before - after)


def _after_dealer_deleted(old, ctx) -> None:
    erp.delete_all(erp.dealer_links(ctx.company.company_id, old.dealer_code, old.linked_customer_nos))
    dealers.change_account_codes(ctx.company.company_id, old.dealer_code, (), old.linked_customer_nos)


# --- customers: location rows, contacts, web access ---------------------------------------


def _customer_items(record, ctx):
    company_id = ctx.company.company_id
    pk = account_pk(company_id, record.customer_no)
    locations = {loc.location_id: loc for loc in record.locations}
    if BILL_TO not in locations:
        from ..contract.schemas import Location

        locations[BILL_TO] = Location(
            location_id=BILL_TO,
            address=record.address,
            city=record.city,
            state=record.state,
            postal_code=record.postal_code,
            phone=record.phone,
        )
    rows = []
    for location_id, loc in locations.items():
        rows.append(
            Customer(
                pk,
                location_id,
                company_id=company_id,
                customer_no=record.customer_no,
                name=record.name,
                name_key=customer_name_key(record.name, record.customer_no, location_id),
                location_name=loc.name,
                address=loc.address,
                city=loc.city,
                state=loc.state,
                postal_code=loc.postal_code,
                phone=loc.phone,
                erp_active=record.erp_active,
                price_level=(record.price_level or "").strip().lower() or None,
                charge_to_account=record.charge_to_account,
                terms_days=record.terms_days if record.terms_days is not None else 30,
                erp_updated_at=record.updated_at,
            )
        )
    accounts.with_location_list(rows)
    contacts = [
        Contact(
            pk,
            c.contact_id,
            name=c.name,
            email=c.email,
            phone=c.phone,
            role=c.role,
            primary=c.primary,
            erp_updated_at=record.updated_at,
        )
        for c in record.contacts
    ]
    return rows, contacts


def _carry_admin_summary(rows, contacts, old_main) -> None:
    """The admin list's summary on the new rows (see `admin_customers`): contact
    columns from the pushed contacts, portal status and last invitation kept from
    the stored account, so a re-push neither resets nor leaves them stale."""
    emails = sum(1 for c in contacts if (c.email or "").strip())
    bounced = any(c.email_bounced for c in contacts)
    for row in rows:
        row.contact_emails, row.email_bounced = emails, bounced
        if old_main is not None:
            row.portal_status, row.last_invited_at = old_main.portal_status, old_main.last_invited_at


def _same(old_items, new_items, keep=()) -> bool:
    def by_key(items):
        return {erp.key_of(i): _content(i, keep) for i in items}

    return by_key(old_items) == by_key(new_items)


def _apply_web_access(record, ctx, result) -> bool:
    """ERP-owned web access: applied; portal-owned: reported as ignored.  True if changed."""
    if record.web_access is None:
        return False
    if ctx.company.web_access_owner != "erp":
        result.ignored_fields.append("web_access")
        return False
    changes = record.web_access.model_dump(exclude_unset=True)
    company_id = ctx.company.company_id
    current = accounts.get_web_access(company_id, record.customer_no) or WebAccess(
        account_pk(company_id, record.customer_no)
    )
    before = current.serialize()
    for name, value in changes.items():
        if value is not None:
            setattr(current, name, value)
    if current.serialize() == before:
        return False
    current.updated_at = ctx.now
    current.save()
    return True


def _upsert_customers(pairs, ctx: Context) -> None:
    company_id = ctx.company.company_id
    stored = erp.batch_get(Customer, [(account_pk(company_id, r.customer_no), BILL_TO) for _, r in pairs])
    for result, record in pairs:
        rows, contacts = _customer_items(record, ctx)
        main = next(r for r in rows if r.location_id == BILL_TO)
        old_main = stored.get((account_pk(company_id, record.customer_no), BILL_TO))
        old_rows = erp.customer_rows(company_id, record.customer_no) if old_main else []
        old_contacts = erp.contacts(company_id, record.customer_no) if old_main else []
        bounced = {c.contact_id: c.email for c in old_contacts if c.email_bounced}
        for contact in contacts:  # a bounce stays known while the address is the same
            contact.email_bounced = bounced.get(contact.contact_id) == contact.email
        _carry_admin_summary(rows, contacts, old_main)
        if old_main is not None and old_main.erp_updated_at and old_main.erp_updated_at >= record.updated_at:
            result.outcome = STALE
            if _same(old_rows, rows) and _same(old_contacts, contacts):
                result.outcome = UNCHANGED
            if record.web_access is not None and ctx.company.web_access_owner != "erp":
                result.ignored_fields.append("web_access")
            continue
        web_changed = _apply_web_access(record, ctx, result)
        if old_main is not None and _same(old_rows, rows) and _same(old_contacts, contacts):
            erp.touch_if_newer(main, record.updated_at)
            result.outcome = UPDATED if web_changed else UNCHANGED
            continue
        if not erp.put_if_newer(main, record.updated_at):  # the guard: bill-to row
            result.outcome = STALE
            continue
        others = [r for r in rows if r.location_id != BILL_TO]
        erp.save_all(others + contacts)
        keep_rows = {erp.key_of(r) for r in rows}
        keep_contacts = {erp.key_of(c) for c in contacts}
        erp.delete_all(
            [r for r in old_rows if erp.key_of(r) not in keep_rows]
            + [c for c in old_contacts if erp.key_of(c) not in keep_contacts]
        )
        result.outcome = CREATED if old_main is None else UPDATED


def _customer_delete_key(record, ctx) -> Customer:
    return Customer(account_pk(ctx.company.company_id, record.customer_no), BILL_TO)


def _after_customer_deleted(old, ctx) -> None:
    # The portal's own records (web access, memberships) stay: the ERP owns only these.
    erp.delete_all(
        erp.customer_rows(ctx.company.company_id, old.customer_no)
        + erp.contacts(ctx.company.company_id, old.customer_no)
    )


# --- ACH settlements ---------------------------------------------------------------------


def _upsert_ach(pairs, ctx: Context) -> None:
    company_id = ctx.company.company_id
    stored = erp.batch_get(Payment, [(company_id, r.payment_id) for _, r in pairs])
    for result, record in pairs:
        payment = stored.get((company_id, record.payment_id))
        if payment is None:
            result.errors = [FieldError(field="payment_id", reason="no portal payment has this id")]
            continue
        if payment.method != "ach":
            result.errors = [FieldError(field="payment_id", reason=f"payment is a {payment.method} payment, not ACH")]
            continue
        if payment.status not in ("approved", "settled", "returned"):
            result.errors = [
                FieldError(
                    field="payment_id",
                    reason=(f"payment is {payment.status}; only approved ACH payments settle or return"),
                )
            ]
            continue
        if payment.erp_updated_at and payment.erp_updated_at >= record.updated_at:
            result.outcome = UNCHANGED if payment.status == record.outcome else STALE
            continue
        if payment.status == record.outcome:
            result.outcome = UNCHANGED
            continue
        if not erp.settle_ach(payment, record.outcome, record.reason, record.updated_at, ctx.now):
            result.outcome = STALE
            continue
        result.outcome = UPDATED


UPSERTS: dict[str, Callable] = {
    "customers": _upsert_customers,
    "dealers": lambda pairs, ctx: _write_single(pairs, ctx, _dealer, _after_dealer),
    "invoices": _upsert_invoices,
    "ledger": lambda pairs, ctx: _write_single(pairs, ctx, _ledger, save=_save_ledger),
    "statements": lambda pairs, ctx: _write_single(pairs, ctx, _statement, _after_statement, preserve=("pdf_key",)),
    "parts": lambda pairs, ctx: _write_single(pairs, ctx, _part, _after_part),
    "equipment": lambda pairs, ctx: _write_single(pairs, ctx, _equipment),
    "ach-settlements": _upsert_ach,
    "parts-order-status": lambda pairs, ctx: _upsert_order_status(pairs, ctx),
}


def _upsert_order_status(pairs, ctx: Context) -> None:
    """The ERP's status of a placed parts order (chalicelib/services/parts_orders.py)."""
    from . import parts_orders

    for result, record in pairs:
        outcome, error = parts_orders.apply_erp_status(ctx.company, record)
        result.outcome = outcome
        if error:
            result.errors = [FieldError(field="order_id", reason=error)]


DELETES: dict[str, Callable] = {
    "customers": lambda pairs, ctx: _delete_single(pairs, ctx, _customer_delete_key, _after_customer_deleted),
    "dealers": lambda pairs, ctx: _delete_single(
        pairs, ctx, lambda r, c: Dealer(c.company.company_id, r.dealer_code), _after_dealer_deleted
    ),
    "invoices": _delete_invoices,
    "ledger": lambda pairs, ctx: _delete_single(
        pairs,
        ctx,
        lambda r, c: LedgerEntry(
            account_pk(c.company.company_id, r.customer_no), ledger_entry_key(r.entry_date.isoformat(), r.entry_id)
        ),
        delete=ar_totals.delete_ledger_entry,
    ),
    "statements": lambda pairs, ctx: _delete_single(
        pairs,
        ctx,
        lambda r, c: Statement(account_pk(c.company.company_id, r.customer_no), r.statement_date.isoformat()),
        lambda old, ctx: ar_totals.forget_statements(old.customer_pk),
    ),
    "parts": lambda pairs, ctx: _delete_single(
        pairs, ctx, lambda r, c: Part(c.company.company_id, r.part_no.upper()), _after_part_deleted
    ),
    "equipment": lambda pairs, ctx: _delete_single(
        pairs, ctx, lambda r, c: Equipment(account_pk(c.company.company_id, r.customer_no), r.serial_no)
    ),
}


def now() -> datetime:
    return clock.utcnow()
