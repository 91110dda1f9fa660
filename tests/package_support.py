"""One `infra.package` build per stage per test session (Chalice's packaging takes about a minute).

Test modules call `packaged(stage)`; the first call builds into a temporary
directory removed when the interpreter exits, later calls return the same one.
PORTAL_TEST_PACKAGE=<dir of a `make package` output> reuses that build instead
(its template is completed again by infra.package.complete_template, so a change
to infra/ is seen; a change to the app's code is not: rebuild then).
"""
import atexit
import functools
import os
import shutil
import tempfile
import time
from pathlib import Path

from infra import package as packaging


@functools.lru_cache(maxsize=None)
def packaged(stage: str = "prod"):
    """(output directory with sam.json and deployment.zip, seconds the build took)."""
    reused = os.environ.get("PORTAL_TEST_PACKAGE")
    if reused:
        packaging.complete_template(Path(reused) / "sam.json", stage)
        return Path(reused), 0.0
    root = Path(tempfile.mkdtemp(prefix=f"portal-package-{stage}-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    started = time.monotonic()
    packaging.build(stage, root / stage)
    return root / stage, time.monotonic() - started
