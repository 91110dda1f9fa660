"""Infrastructure faults a user should retry: answered 503 "try again", never 500.

DynamoDB throttling reaches us as a PynamoDB exception whose `.cause` is botocore's
ClientError (or as the ClientError itself); services that call S3 raise `Unavailable`
with a message of their own.  Chalice turns any exception a view raises into its own
500 before the middleware sees it, so `translate_faults` wraps every view and re-raises
a fault as `Unavailable` (a `ChaliceUnhandledError`, which Chalice lets through to the
middleware, chalicelib/web/middleware.py).
"""

import functools

from chalice import ChaliceUnhandledError

THROTTLING_CODES = {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
RETRY_AFTER_SECONDS = 30
BUSY_MESSAGE = "We are very busy right now. Please try again in a minute."


class Unavailable(ChaliceUnhandledError):
    """A dependency is not answering; the user is asked to try again."""

    def __init__(self, message: str = BUSY_MESSAGE):
        super().__init__(message)
        self.message = message


def _error_code(error) -> str:
    response = getattr(error, "response", None)
    return (response or {}).get("Error", {}).get("Code", "") if isinstance(response, dict) else ""


def is_throttling(error: BaseException | None) -> bool:
    """The error, or what it wraps (PynamoDB's `.cause`, `raise ... from`), is throttling."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if _error_code(error) in THROTTLING_CODES:
            return True
        error = getattr(error, "cause", None) or error.__cause__
    return False


def unavailable_message(error: BaseException):
    """The "try again" message for a fault, or None for anything else (a real bug)."""
    if isinstance(error, Unavailable):
        return error.message
    if is_throttling(error):
        return BUSY_MESSAGE
    return None


def translate_faults(view):
    @functools.wraps(view)
    def guarded(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except Unavailable:
            raise
        except Exception as error:
            message = unavailable_message(error)
            if message is None:
                raise
            raise Unavailable(message) from error

    return guarded


def guard_routes(app) -> None:
    """Wrap every registered view (call once, after the blueprints are registered)."""
    for methods in app.routes.values():
        for entry in methods.values():
            entry.view_function = translate_faults(entry.view_function)
