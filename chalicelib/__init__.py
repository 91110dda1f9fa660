"""Dealer Portal application package (deployed with app.py)."""

from .lazy_imports import defer

# Services, repositories and the payment gateway client load on first use, not at
# `import app` (chalicelib/lazy_imports.py).
defer("chalicelib.services", "chalicelib.repositories", "chalicelib.payments")
