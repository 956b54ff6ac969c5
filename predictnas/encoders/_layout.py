"""``ColumnLayout``: which model-input columns hold what, so no one re-derives it by arithmetic."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ColumnLayout:
    """Model-input columns as named blocks in order; each block is one or more column groups (a
    GP with an additive kernel gives each group its own term).

    ``ColumnLayout().then("encoding", 12, [[0..9], [10, 11]]).then("exact", 1)`` lays out 13
    columns: the encoding's two groups, then one exact-objective column (its own group).

    Attributes:
        blocks: ``(name, width, groups)`` with ``groups`` relative to the block's first column.
    """

    blocks: tuple[tuple[str, int, tuple[tuple[int, ...], ...]], ...] = ()

    def then(self, name: str, width: int, groups: Sequence[Sequence[int]] | None = None) -> ColumnLayout:
        """This layout with a block of ``width`` columns appended (one group when ``groups`` is
        ``None``); a block of width 0 is recorded but adds no column or group."""
        if any(b[0] == name for b in self.blocks):
            raise ValueError(f"ColumnLayout: a block named {name!r} exists already.")
        parts = tuple(tuple(int(c) for c in g) for g in (groups if groups is not None else [range(width)]) if len(g))
        if any(c < 0 or c >= width for g in parts for c in g):
            raise ValueError(f"ColumnLayout: block {name!r} has groups outside its {width} columns.")
        return ColumnLayout((*self.blocks, (name, int(width), parts if width else ())))

    @property
    def width(self) -> int:
        """Total number of columns."""
        return sum(b[1] for b in self.blocks)

    def _start(self, name: str) -> tuple[int, int, tuple[tuple[int, ...], ...]]:
        start = 0
        for block, width, groups in self.blocks:
            if block == name:
                return start, width, groups
            start += width
        raise KeyError(f"ColumnLayout has no block {name!r}; it has {[b[0] for b in self.blocks]}.")

    def columns(self, name: str) -> list[int]:
        """The columns of block ``name`` (empty for a block of width 0)."""
        start, width, _ = self._start(name)
        return list(range(start, start + width))

    def groups(self) -> list[list[int]]:
        """Every block's groups, in absolute columns, in order."""
        out, start = [], 0
        for _, width, groups in self.blocks:
            out += [[start + c for c in g] for g in groups]
            start += width
        return out
