"""A finite space: exactly the architectures a table has rows for (``members`` in a spec)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from predictnas.spaces._arch import Arch, Value

MAX_MEMBERS = 100_000  # a spec is data: its member list is bounded like everything else in it


class Members:
    """The member architectures of a space, in spec order, with their canonical keys.

    Args:
        archs: Valid architectures of the base space (duplicates by key already dropped).
        keys: Their canonical keys.
        names: The space's parameter names (for distances; an inactive parameter counts as ``None``).
    """

    def __init__(self, archs: Sequence[Arch], keys: Sequence[str], names: Sequence[str]) -> None:
        self.archs, self.keys = tuple(archs), tuple(keys)
        self._key_set = frozenset(keys)
        self._rows = [tuple(a.get(n) for n in names) for a in self.archs]
        self._names = tuple(names)

    def __len__(self) -> int:
        return len(self.archs)

    def __contains__(self, key: object) -> bool:
        return key in self._key_set

    def draw(self, n: int, rng: np.random.Generator) -> list[Arch]:
        """``n`` members drawn uniformly with replacement."""
        return [self.archs[int(i)] for i in rng.integers(len(self.archs), size=n)]

    def _distances(self, values: Mapping[str, Value]) -> np.ndarray:
        row = tuple(values.get(n) for n in self._names)
        return np.array([sum(a != b for a, b in zip(r, row)) for r in self._rows])

    def nearest(self, values: Mapping[str, Value], rng: np.random.Generator, *, exclude: str | None = None,
                within: int | None = None) -> Arch | None:
        """A member closest to ``values`` (fewest differing parameters; ties drawn by ``rng``),
        other than the member keyed ``exclude``; with ``within``, a random member at distance 1 to
        ``within`` when there is one. ``None`` when no member is left."""
        d = self._distances(values)
        if exclude is not None:
            d = np.where(np.array(self.keys) == exclude, np.iinfo(np.int64).max, d)
        if within is not None:
            close = np.flatnonzero((d >= 1) & (d <= within))
            if len(close):
                return self.archs[int(close[rng.integers(len(close))])]
        best = np.flatnonzero(d == d.min()) if len(d) and d.min() < np.iinfo(np.int64).max else np.array([], dtype=int)
        return self.archs[int(best[rng.integers(len(best))])] if len(best) else None

    def at_distance_one(self, values: Mapping[str, Value]) -> list[Arch]:
        """The members that differ from ``values`` in exactly one parameter (spec order)."""
        return [self.archs[i] for i in np.flatnonzero(self._distances(values) == 1)]
