"""Two-factor state on the user item: every change that must not race is a conditional write."""

from collections.abc import Iterable
from datetime import datetime

from pynamodb.exceptions import UpdateError

from ..models import User


def set_pending_secret(user: User, secret: str) -> None:
    user.update(actions=[User.totp_pending_secret.set(secret)])


def confirm(user: User, pending_secret: str, step: int, code_hashes: Iterable[str], enabled_at: datetime) -> bool:
    """The pending secret becomes the login's; False if it changed meanwhile (another tab)."""
    try:
        user.update(
            actions=[
                User.totp_secret.set(pending_secret),
                User.totp_pending_secret.remove(),
                User.totp_last_step.set(step),
                User.recovery_code_hashes.set(set(code_hashes)),
                User.totp_enabled_at.set(enabled_at),
            ],
            condition=User.totp_pending_secret == pending_secret,
        )
        return True
    except UpdateError:
        return False


def use_step(user: User, step: int) -> bool:
    """Record `step` as used; False if it (or a later one) was used already: no replay."""
    try:
        user.update(
            actions=[User.totp_last_step.set(step)],
            condition=User.totp_secret.exists() & (User.totp_last_step.does_not_exist() | (User.totp_last_step < step)),
        )
        return True
    except UpdateError:
        return False


def use_recovery_code(user: User, code_hash: str) -> bool:
    """Remove one recovery code; False if it is not there (never issued, or used already)."""
    try:
        user.update(
            actions=[User.recovery_code_hashes.delete({code_hash})],
            condition=User.recovery_code_hashes.contains(code_hash),
        )
        return True
    except UpdateError:
        return False


def replace_recovery_codes(user: User, code_hashes: Iterable[str]) -> bool:
    """A fresh set in place of whatever is left; False if two-factor went off meanwhile."""
    try:
        user.update(
            actions=[User.recovery_code_hashes.set(set(code_hashes))],
            condition=User.totp_secret.exists(),
        )
        return True
    except UpdateError:
        return False


def clear(user: User) -> None:
    """Two-factor off (disabled or reset): secret and codes gone, remembered devices revoked."""
    user.update(
        actions=[
            User.totp_secret.remove(),
            User.totp_pending_secret.remove(),
            User.totp_enabled_at.remove(),
            User.totp_last_step.remove(),
            User.recovery_code_hashes.remove(),
            User.device_epoch.add(1),
        ]
    )
