"""Makes `import aiogram` build its Bot API models on first use instead of all at import.

aiogram declares ~450 pydantic models (`aiogram.types`) with `defer_build=True`, and then
its `aiogram/types/__init__.py` calls `model_rebuild()` on every one of them so that their
forward references (`"Message"`, `"User"`, ...) resolve. Each rebuild compiles a validator and
a serializer that inline every type the model can reach, so the import takes ~100 MB of
memory and seconds of CPU, although the service only ever validates an `Update` and the
results of a handful of methods.

`install()` (called when `bot.channels` is imported, before any module imports aiogram)
wraps `BaseModel.model_rebuild` so that this one loop, and nothing else, instead copies the
namespace it was given into each type's module. The types then resolve their references the
ordinary way when pydantic builds them on first use, and only the models actually used are
built. Every other `model_rebuild` call goes to pydantic unchanged. If aiogram was already
imported, nothing changes.
"""

from __future__ import annotations

import sys
from typing import Any

from pydantic import BaseModel

_TYPES_PACKAGE = "aiogram.types."
_installed = False


def install() -> None:
    """Wraps `BaseModel.model_rebuild` once per process (idempotent)."""
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
            module = vars(sys.modules[cls.__module__])
            for name, value in _types_namespace.items():
                module.setdefault(name, value)
            return None
        result: bool | None = original(
            cls,
            force=force,
            raise_errors=raise_errors,
            _parent_namespace_depth=_parent_namespace_depth + 1,  # this wrapper is one frame more
            _types_namespace=_types_namespace,
        )
        return result

    BaseModel.model_rebuild = classmethod(model_rebuild)  # type: ignore[method-assign,assignment]
    _installed = True
