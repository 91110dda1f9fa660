"""The admin API's error answer, raised by services and turned into JSON by chalicelib/api/routing.py."""


class ApiError(Exception):
    """An answer other than success: status, a short code, a sentence for people."""

    def __init__(self, status: int, error: str, message: str, errors: list | None = None):
        super().__init__(message)
        self.status, self.error, self.message = status, error, message
        self.errors = errors or []
