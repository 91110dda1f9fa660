"""Identifier helpers."""

import hashlib
import secrets
import time


def new_id() -> str:
    """Time-sortable id: 12 hex digits of milliseconds + 12 random hex digits."""
    return f"{int(time.time() * 1000):012x}{secrets.token_hex(6)}"


def new_secret() -> str:
    """256-bit URL-safe secret (session ids, tokens)."""
    return secrets.token_urlsafe(32)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
