"""One registry for named, pluggable parts: proposers, surrogates, encoders, supernets, proxies.

Every registry answers an unknown name with the same error (listing the valid names), refuses a
second registration under a taken name, and resolves ``"package.module:attr"`` entry points, so a
user's own part is named the same way in Python and in a study definition.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Generic, TypeVar

from predictnas.exceptions import InvalidSpecError

T = TypeVar("T")


class Registry(Mapping[str, T], Generic[T]):
    """Built-in ``name -> object`` of one ``kind`` (read like a dict), plus entry points.

    Args:
        kind: What is registered, for messages (``"proposer"``).
        items: The built-in entries.
    """

    def __init__(self, kind: str, items: Mapping[str, T] | None = None) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}
        for name, item in (items or {}).items():
            self.register(name, item)

    def register(self, name: str, item: T) -> T:
        """Adds ``item`` under ``name``; a name already taken is refused. Returns ``item``."""
        if not isinstance(name, str) or not name or ":" in name:
            raise InvalidSpecError(f"A {self.kind} name must be a non-empty string without ':'; got {name!r}.")
        if name in self._items:
            raise InvalidSpecError(f"A {self.kind} named {name!r} is already registered; choose another name.")
        self._items[name] = item
        return item

    def resolve(self, name: str) -> T:
        """The entry ``name``, or the object an entry point ``"package.module:attr"`` names.

        Raises:
            InvalidSpecError: an unknown name (listing the known ones) or an entry point that
                cannot be imported.
        """
        if name in self._items:
            return self._items[name]
        if not isinstance(name, str) or ":" not in name:
            raise InvalidSpecError(f"Unknown {self.kind} {name!r}; available: {sorted(self._items)}, "
                                   "or an entry point \"package.module:Name\".")
        module_name, _, attr = name.partition(":")
        try:
            target = importlib.import_module(module_name)
            for part in attr.split("."):
                target = getattr(target, part)
        except (ImportError, AttributeError, ValueError) as exc:
            raise InvalidSpecError(f"The {self.kind} entry point {name!r} cannot be loaded ({exc}); "
                                   "use \"package.module:Name\" with the module importable.") from None
        return target  # type: ignore[return-value]

    def __getitem__(self, name: str) -> T:
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {sorted(self._items)})"


def entry_point_of(obj: object) -> str:
    """``"package.module:QualName"`` of a class (or of an instance's class)."""
    cls = obj if isinstance(obj, type) else type(obj)
    return f"{cls.__module__}:{cls.__qualname__}"
