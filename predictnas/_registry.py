"""One registry for named, pluggable parts: proposers, surrogates, encoders, supernets, proxies.

Every registry answers an unknown name with the same error (listing the valid names), refuses a
second registration under a taken name, and resolves ``"package.module:attr"`` entry points, so a
user's own part is named the same way in Python and in a study definition.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any, Generic, TypeVar

from predictnas.exceptions import InvalidSpecError

T = TypeVar("T")


class Registry(Mapping[str, T], Generic[T]):
    """Built-in ``name -> object`` of one ``kind`` (read like a dict), plus entry points.

    Args:
        kind: What is registered, for messages (``"proposer"``).
        items: The built-in entries.
    """

    def __init__(self, kind: str, items: Mapping[str, T] | None = None, *, lazy: Mapping[str, str] | None = None) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        self._lazy: dict[str, str] = {}  # name -> "package.module:attr", imported on first use
        for name, item in (items or {}).items():
            self.register(name, item)
        for name, entry_point in (lazy or {}).items():
            self._check_free(name)
            self._lazy[name] = entry_point

    def register(self, name: str, item: T) -> T:
        """Adds ``item`` under ``name``; a name already taken is refused. Returns ``item``."""
        self._check_free(name)
        self._items[name] = item
        return item

    def _check_free(self, name: str) -> None:
        if not isinstance(name, str) or not name or ":" in name:
            raise InvalidSpecError(f"A {self.kind} name must be a non-empty string without ':'; got {name!r}.")
        if name in self._items or name in self._lazy:
            raise InvalidSpecError(f"A {self.kind} named {name!r} is already registered; choose another name.")

    def resolve(self, name: str, *, where: str | None = None) -> T:
        """The entry ``name``, or the object an entry point ``"package.module:attr"`` names;
        ``where`` (e.g. ``"encoding='x'"``) starts an error message.

        Raises:
            InvalidSpecError: an unknown name (listing the known ones) or an entry point that
                cannot be imported.
        """
        prefix = f"{where}: " if where else ""
        if isinstance(name, str) and name in self:
            return self[name]
        if not isinstance(name, str) or ":" not in name:
            raise InvalidSpecError(f"{prefix}Unknown {self.kind} {name!r}; available: {sorted(self)}, "
                                   "or an entry point \"package.module:Name\".")
        return load_entry_point(name, self.kind, prefix=prefix)  # type: ignore[no-any-return]

    def __getitem__(self, name: str) -> T:
        if name not in self._items and name in self._lazy:  # a built-in with heavy imports: loaded now
            self._items[name] = load_entry_point(self._lazy[name], self.kind)
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter([*self._items, *(n for n in self._lazy if n not in self._items)])

    def __len__(self) -> int:
        return len(set(self._items) | set(self._lazy))

    def __contains__(self, name: object) -> bool:
        return name in self._items or name in self._lazy

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {sorted(self)})"


def entry_point_of(obj: object) -> str:
    """``"package.module:QualName"`` of a class (or of an instance's class)."""
    cls = obj if isinstance(obj, type) else type(obj)
    return f"{cls.__module__}:{cls.__qualname__}"


def load_entry_point(name: str, kind: str, *, prefix: str = "") -> Any:
    """The object ``"package.module:attr"`` names (``attr`` may be dotted): the one place an entry
    point is imported. Raises ``InvalidSpecError`` naming ``kind`` when it cannot be loaded."""
    module_name, sep, attr = name.partition(":")
    try:
        if not sep or not module_name or not attr:
            raise ValueError("not of the form package.module:Name")
        target = importlib.import_module(module_name)
        for part in attr.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError, ValueError) as exc:
        raise InvalidSpecError(f"{prefix}The {kind} entry point {name!r} cannot be loaded ({exc}); "
                               "use \"package.module:Name\" with the module importable.") from None
    return target
