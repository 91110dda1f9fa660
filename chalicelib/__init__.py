"""Dealer Portal application package (deployed with app.py)."""

import sys

from .lazy_imports import defer

# Services, repositories and the payment gateway client load on first use, not at
# `import app` (chalicelib/lazy_imports.py); so does the logger, whose Powertools import
# (~60 modules) the first line logged pays.
defer("chalicelib.services", "chalicelib.repositories", "chalicelib.payments", modules=("chalicelib.logs",))

# pyOpenSSL is on the web function's path only because `webauthn` needs it (passkeys, from the
# passkeys layer, imported when used).  Its mere presence makes botocore import
# urllib3.contrib.pyopenssl -> OpenSSL (~0.4 s of a cold start) just to take back the standard
# library's SSLContext it uses anyway (botocore/httpsession.py).  Marking that module absent makes
# botocore take the standard-library import directly: same TLS, no OpenSSL on the cold path.
sys.modules.setdefault("urllib3.contrib.pyopenssl", None)  # type: ignore[arg-type]
