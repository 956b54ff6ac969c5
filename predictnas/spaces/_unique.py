"""Every functionally distinct architecture of a small space, enumerated once per space definition."""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from predictnas.exceptions import PredictNASError
from predictnas.spaces._arch import Arch

if TYPE_CHECKING:
    from predictnas.spaces._space import SearchSpace

#: By definition (parameters, constraints, cell, stages), the last 4: each study builds its own
#: space object, and enumerating costs about 0.4 s on NAS-Bench-201 and 3 s on NAS-Bench-Graph
#: (``python benchmarks/startup.py``).
_BY_DEFINITION: OrderedDict[str, list[tuple[str, Arch]]] = OrderedDict()


def unique_architectures(space: SearchSpace, limit: int) -> list[tuple[str, Arch]] | None:
    """``(canonical key, first arch)`` of every class in enumeration order when ``space`` has at
    most ``limit`` raw architectures, else ``None`` (also when it cannot be enumerated). Spaces of
    members (a table's rows) are enumerated each time."""
    try:
        if space.raw_size() > limit:
            return None
        if space.members is not None:
            return _first_of_each_class(space)
        definition = repr((space.params, space.constraints, space.cell, space.stages))
        if definition not in _BY_DEFINITION:
            _BY_DEFINITION[definition] = _first_of_each_class(space)
    except PredictNASError:  # not enumerable (continuous or constrained beyond counting)
        return None
    _BY_DEFINITION.move_to_end(definition)
    while len(_BY_DEFINITION) > 4:
        _BY_DEFINITION.popitem(last=False)
    return list(_BY_DEFINITION[definition])


def _first_of_each_class(space: SearchSpace) -> list[tuple[str, Arch]]:
    unique: dict[str, Arch] = {}
    for arch in space.enumerate():
        unique.setdefault(space.canonical_key(arch), arch)
    return list(unique.items())
