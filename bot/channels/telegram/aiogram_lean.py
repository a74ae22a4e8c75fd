"""Makes `import aiogram` build its Bot API models on first use instead of all at import.

aiogram declares ~450 pydantic models (`aiogram.types`) with `defer_build=True`, and then
its `aiogram/types/__init__.py` calls `model_rebuild()` on every one of them so that their
forward references (`"Message"`, `"User"`, ...) resolve. Each rebuild compiles a validator and
a serializer that inline every type the model can reach, so the import takes ~100 MB of
memory and seconds of CPU, although the service only ever validates an `Update` and the
results of a handful of methods.

`install()` (called when `bot.channels.telegram` is imported, before its modules import aiogram)
wraps `BaseModel.model_rebuild` so that this one loop, and nothing else, only keeps the
namespace it was given (one dict, shared). When pydantic later builds an aiogram model on first
use (it calls `model_rebuild` without a namespace), the wrapper passes that namespace, so that
the model's forward references resolve, and those of every type it inlines; only the models
actually used are built. Every other `model_rebuild` call goes to pydantic unchanged. (Copying
the namespace into each type's module instead, as an earlier version did, cost ~5 MB.)

The ~190 Bot API methods (`aiogram.methods`, subclasses of `TelegramMethod`) are not deferred
by aiogram: each compiles its validator at import (~12 MB in all, for the half dozen methods
the service calls). `install()` also sets `defer_build` on `TelegramMethod`'s configuration as
soon as `aiogram.methods.base` has been executed, before any method is declared; pydantic
merges a base's `model_config` into its subclasses', so each method is built on first use.

pydantic keeps a generic model's parametrizations (`Response[Message]`, the envelope of every
Bot API answer, which aiogram writes as `Response[method.__returning__]` at each call) in a
cache of weak references, and such a class lives in reference cycles: a full garbage
collection frees it, and the next call builds it again, a Message validator and all (~65 ms
with the event loop held, every few seconds under load: the p99 of the webhooks). The wrapper
keeps each parametrization of an aiogram model it builds (`_kept`: the handful of answer types
the service uses), so each is built once per process.

If aiogram was already imported, nothing changes.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from pydantic import BaseModel

_TYPES_PACKAGE = "aiogram.types."
_AIOGRAM = "aiogram."
_METHODS_BASE = "aiogram.methods.base"
_installed = False
_namespace: dict[str, Any] = {}
"""The names of `aiogram.types` (what its module passes to each type's `model_rebuild`)."""
_kept: set[type[BaseModel]] = set()
"""Generic parametrizations of aiogram models built so far, kept from the garbage collector."""


def install() -> None:
    """Wraps `BaseModel.model_rebuild` and defers the methods' builds, once per process (idempotent)."""
    global _installed
    if _installed or "aiogram.types" in sys.modules:
        return
    original = BaseModel.model_rebuild.__func__  # type: ignore[attr-defined]

    def model_rebuild(
        cls: type[BaseModel],
        *,
        force: bool = False,
        raise_errors: bool = True,
        _parent_namespace_depth: int = 2,
        _types_namespace: dict[str, Any] | None = None,
    ) -> bool | None:
        if _types_namespace is not None and cls.__module__.startswith(_TYPES_PACKAGE):
            if not _namespace:
                _namespace.update(_types_namespace)
            return None
        if _types_namespace is None and _namespace and _from_aiogram(cls):
            _types_namespace = _namespace
            if cls.__pydantic_generic_metadata__["origin"] is not None:
                _kept.add(cls)
        result: bool | None = original(
            cls,
            force=force,
            raise_errors=raise_errors,
            _parent_namespace_depth=_parent_namespace_depth + 1,  # this wrapper is one frame more
            _types_namespace=_types_namespace,
        )
        return result

    BaseModel.model_rebuild = classmethod(model_rebuild)  # type: ignore[method-assign,assignment]
    if _METHODS_BASE not in sys.modules:
        sys.meta_path.insert(0, _DeferMethods())
    _installed = True


def _from_aiogram(cls: type) -> bool:
    """An aiogram model, or a subclass of one (the generic `Response[Message]` included)."""
    return any(klass.__module__.startswith(_AIOGRAM) for klass in cls.__mro__)


class _DeferMethods(importlib.abc.MetaPathFinder):
    """Finds nothing itself: wraps the loader of `aiogram.methods.base` (then leaves `sys.meta_path`)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != _METHODS_BASE:
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            spec.loader = _DeferringLoader(spec.loader.name, spec.loader.path)
        return spec


class _DeferringLoader(importlib.machinery.SourceFileLoader):
    def exec_module(self, module: ModuleType) -> None:
        super().exec_module(module)
        module.TelegramMethod.model_config["defer_build"] = True
