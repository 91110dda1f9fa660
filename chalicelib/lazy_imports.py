"""Deferred loading of the service, repository, gateway and logging modules, for the Lambda cold start.

A Lambda instance answers one kind of request after another; most never touch most
services (a customer page needs no admin, payment or ERP rules).  `import app` must
still import every route module, because Chalice builds its route table at import.
So route modules import services and repositories as modules (`from ..services import
payments`, then `payments.PaymentService` inside a function), and the modules below the
deferred packages (and the single modules named, such as the logger's) get a module
object at once whose code runs on its first attribute read.  The first request that uses
a service pays for it once per instance, like any import.  `bench/cold_start.py` measures
the effect; tests/unit/test_lazy_imports.py proves it.

This is the idea of the standard library's `importlib.util.LazyLoader`, whose Python 3.11
version lets a second thread see a module half-run (3.12 added a lock); tests drive
services from several threads, so the first use here runs under one lock.
"""

import importlib.abc
import importlib.machinery
import sys
import threading
import types

_LOCK = threading.RLock()
_RUNNING: set[str] = set()  # names of deferred modules whose code is running now (under _LOCK)
# Read by `import`/`from ... import` of an already imported module, by isinstance() and by
# tools listing modules' files: not a use.  A deferred module is never a package: no __path__.
_METADATA = frozenset({"__spec__", "__name__", "__loader__", "__path__", "__class__", "__file__", "__cached__"})


class _DeferredModule(types.ModuleType):
    def __getattribute__(self, name):
        if name in _METADATA:
            return object.__getattribute__(self, name)
        spec = object.__getattribute__(self, "__spec__")
        with _LOCK:
            if type(self) is _DeferredModule and spec.name not in _RUNNING:
                _RUNNING.add(spec.name)
                try:
                    spec.loader.wrapped.exec_module(self)
                    self.__class__ = types.ModuleType
                finally:
                    _RUNNING.discard(spec.name)
        # Loaded now, or being loaded by this thread (a circular import): a plain read.
        return types.ModuleType.__getattribute__(self, name)


class _DeferredLoader(importlib.abc.Loader):
    def __init__(self, wrapped):
        self.wrapped = wrapped

    def __getattr__(self, name):  # get_source, get_filename...: the real loader's
        return getattr(self.wrapped, name)

    def create_module(self, spec):
        return None  # the default module object

    def exec_module(self, module):
        module.__class__ = _DeferredModule  # nothing runs until the first use


class _DeferredFinder(importlib.abc.MetaPathFinder):
    def __init__(self, prefixes, modules):
        self.prefixes = tuple(prefixes)
        self.modules = frozenset(modules)

    def find_spec(self, name, path, target=None):
        if not (name.startswith(self.prefixes) or name in self.modules):
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.submodule_search_locations is not None:
            return spec  # not found, or a package: load as usual
        if not isinstance(
            spec.loader, (importlib.machinery.SourceFileLoader, importlib.machinery.SourcelessFileLoader)
        ):
            return spec
        spec.loader = _DeferredLoader(spec.loader)
        return spec


def defer(*packages: str, modules: tuple[str, ...] = ()) -> None:
    """Load the modules directly below each package, and each of `modules`, on their first
    attribute read."""
    prefixes = tuple(package + "." for package in packages)
    for finder in sys.meta_path:
        if isinstance(finder, _DeferredFinder):
            finder.prefixes += prefixes
            finder.modules |= frozenset(modules)
            return
    sys.meta_path.insert(0, _DeferredFinder(prefixes, modules))
