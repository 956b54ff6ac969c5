"""The architecture value type: an immutable, hashable mapping of active parameters."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Union

Value = Union[str, int, float, bool]


class Arch(Mapping[str, Value]):
    """An architecture: the values of the parameters that are *active* for it.

    Inactive parameters (e.g. the kernel of a layer beyond the stage depth) are absent, so two
    architectures that differ only in inactive parameters are equal. Build one through
    ``space.make_arch(mapping)``, which coerces and validates; ``Arch`` itself only stores.

    Args:
        params: Parameter name -> value, in the space's parameter order.
    """

    __slots__ = ("_params", "_hash", "_owner", "_key")

    def __init__(self, params: Mapping[str, Value]) -> None:
        self._params = dict(params)
        self._hash = hash(tuple(sorted(self._params.items(), key=lambda kv: kv[0])))
        self._owner: object = None  # the space that validated it (its checks are then skipped)
        self._key: str | None = None  # that space's canonical key, once computed

    def __getitem__(self, name: str) -> Value:
        return self._params[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Arch):
            return self._params == other._params
        if isinstance(other, Mapping):
            return self._params == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Arch({self._params!r})"

    def to_dict(self) -> dict[str, Value]:
        """A plain ``dict`` copy (JSON-serialisable)."""
        return dict(self._params)
