"""Refusals a service may raise without knowing about HTTP; chalicelib/web/guards.py maps
each to the one answer every page gives."""


class NotFound(LookupError):
    """No such record for this company or account (a foreign id included): 404."""
