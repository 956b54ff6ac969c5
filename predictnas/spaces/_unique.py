"""Every functionally distinct architecture of a small space, enumerated once per space definition."""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from predictnas.exceptions import PredictNASError
from predictnas.spaces._arch import Arch

if TYPE_CHECKING:
    from predictnas.spaces._space import SearchSpace

#: By definition (parameters, constraints, cell, stages): each study builds its own space object,
#: and enumerating costs 0.4 s on NAS-Bench-201 and 2 s on NAS-Bench-Graph; the last 4 are kept.
_BY_DEFINITION: OrderedDict[str, list[tuple[str, Arch]]] = OrderedDict()


def unique_architectures(space: SearchSpace, limit: int) -> list[tuple[str, Arch]] | None:
    """``(canonical key, first arch)`` of every class in enumeration order when ``space`` has at
    most ``limit`` raw architectures, else ``None`` (also when it cannot be enumerated). Spaces of
    members (a table's rows) are enumerated each time."""
    try:
        if space.raw_size() > limit:
            return None
        definition = repr((space.params, space.constraints, space.cell, space.stages)) if space.members is None else ""
        if definition not in _BY_DEFINITION:
            unique: dict[str, Arch] = {}
            for arch in space.enumerate():
                unique.setdefault(space.canonical_key(arch), arch)
            if not definition:
                return list(unique.items())
            _BY_DEFINITION[definition] = list(unique.items())
    except PredictNASError:  # not enumerable (continuous or constrained beyond counting)
        return None
    _BY_DEFINITION.move_to_end(definition)
    while len(_BY_DEFINITION) > 4:
        _BY_DEFINITION.popitem(last=False)
    return list(_BY_DEFINITION[definition])
