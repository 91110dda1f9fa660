"""Key builders: every key begins with the company id (docs/data-model.md, "Rules")."""

from ..ids import sha256

HIGH = "\uffff"  # sorts after any suffix (invoice number, entry id) in a sort key


def date_bounds(prefix: str, date_from: str | None, date_to: str | None) -> tuple[str, str]:
    """BETWEEN bounds of sort keys `<prefix><ISO date>#…` for a date range (open ends allowed)."""
    return (f"{prefix}{date_from or '0000-00-00'}", f"{prefix}{date_to or '9999-12-31'}#{HIGH}")


def account_pk(company_id: str, customer_no: str) -> str:
    return f"{company_id}#{customer_no}"


def split_account_pk(pk: str) -> tuple[str, str]:
    """`company#customer_no` -> (company_id, customer_no)."""
    company_id, customer_no = pk.split("#", 1)
    return company_id, customer_no


def customer_no_of(pk: str) -> str:
    return split_account_pk(pk)[1]


def dealer_codes_key(account: str) -> tuple[str, str]:
    """The dealer-links summary item of an account (`company#customer`, its `codes`): a
    partition of its own, so a Query of the account's links never returns it (a customer
    number has no '#')."""
    return f"{account}#dealer-codes", "#all"


def invoice_pk(company_id: str, invoice_no: str) -> str:
    return f"{company_id}#{invoice_no}"


def dealer_pk(company_id: str, dealer_code: str) -> str:
    return f"{company_id}#{dealer_code}"


def email_login(email: str) -> str:
    return f"email#{email.strip().lower()}"


def name_login(company_id: str, user_name: str) -> str:
    return f"name#{company_id}#{user_name.strip().lower()}"


def customer_name_key(name: str, customer_no: str, location_id: str) -> str:
    """`by_name` sort key of a customer row: found by a lower-case name prefix."""
    return f"{name.lower()}#{customer_no}#{location_id}"


def ledger_entry_key(entry_date: str, entry_id: str) -> str:
    """Sort key of a ledger entry: by ISO date, then the ERP's entry id."""
    return f"{entry_date}#{entry_id}"


def part_token_pk(company_id: str, word: str) -> str:
    return f"{company_id}#{word}"


def sign_in_throttle_keys(user_id: str | None, login_key: str | None, source_ip: str) -> tuple[str, str]:
    """Throttle keys of a sign-in: the login's counter (by user id when the login finds one,
    else by the login key, `-` for none) and the source IP's."""
    account = f"acct#user#{user_id}" if user_id else f"acct#{login_key or '-'}"
    return account, f"ip#{source_ip}"


def reset_throttle_keys(address_hash: str, source_ip: str) -> tuple[str, str]:
    """Throttle keys of a password-reset request: per (hashed) address and per source IP."""
    return f"reset#{address_hash}", f"reset-ip#{source_ip}"


def invoice_keys(
    company_id: str,
    invoice_no: str,
    customer_no: str,
    state: str,
    invoice_date: str,
    due_date: str | None,
    balance_cents: int,
    dealer_code: str | None,
) -> dict:
    """Every derived key of an invoice, in one place (ERP import, seed, test factory).

    `ar_pk`/`due_key` exist only while a balance is due: the sparse `ar_open` index.
    """
    due = balance_cents > 0
    return dict(
        pk=invoice_pk(company_id, invoice_no),
        customer_pk=account_pk(company_id, customer_no),
        dealer_pk=dealer_pk(company_id, dealer_code) if dealer_code else None,
        state_key=f"{state}#{invoice_date}#{invoice_no}",
        date_key=f"{invoice_date}#{invoice_no}",
        ar_pk=account_pk(company_id, customer_no) if due else None,
        due_key=f"{due_date or invoice_date}#{invoice_no}" if due else None,
    )


CREDIT_KINDS = ("credit", "payment")


def credit_key(company_id: str, customer_no: str, kind: str, open_cents) -> str | None:
    """`credit_pk` of a ledger entry: set only on a credit memo or payment the ERP has
    not wholly applied to invoices (the sparse `open_credits` index)."""
    if kind in CREDIT_KINDS and int(open_cents or 0) > 0:
        return account_pk(company_id, customer_no)
    return None


def part_words(description: str) -> set:
    """Description words a part is found by (PartToken items): lower case, 3+ letters."""
    return {word for word in (description or "").lower().split() if len(word) > 2}


def part_number(text: str) -> str:
    """A part number as searched: upper case without spaces or dashes ("w10-295 370a" ->
    "W10295370A"), so "W10295370A", "w10 295370a" and "W10-295370A" find the same part."""
    return "".join(ch for ch in (text or "").upper() if ch not in " -\t")


def part_number_key(part_no: str) -> str:
    """Sort key of index parts.by_number: the searchable number, then "#" and the part
    number itself ("#" sorts before letters and digits: an exact match comes first)."""
    return f"{part_number(part_no)}#{part_no}"


def cart_keys(company_id: str, customer_no: str, user_id: str) -> tuple[str, str]:
    """One cart per login and account."""
    return account_pk(company_id, customer_no), user_id


def key_chars_ok(value: str) -> bool:
    """A natural key we can embed after `company#`: 1–64 chars, no '#', no control chars."""
    return bool(value) and len(value) <= 64 and "#" not in value and value.isprintable()


def two_factor_throttle_key(user_id: str) -> str:
    """The throttles item counting a login's wrong two-factor codes."""
    return f"2fa#user#{user_id}"


def passkey_challenge_key(challenge: str) -> str:
    """Tokens-table key of a passkey ceremony's challenge (base64url, as clientDataJSON names it)."""
    return sha256(f"passkey-challenge:{challenge}")
