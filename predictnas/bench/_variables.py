"""The space as peers see it: categorical variables, whitelisted parameter groups merged."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from predictnas.exceptions import InvalidArchitectureError
from predictnas.spaces import Arch, SearchSpace


@dataclass(frozen=True)
class PeerVariable:
    """One categorical variable a peer optimises: a parameter, or a whitelisted group of them."""

    name: str
    params: tuple[str, ...]
    choices: tuple[tuple[Any, ...], ...]  # per choice, the value of each of ``params``

    @property
    def labels(self) -> list[str]:
        return [",".join(map(str, c)) for c in self.choices]


def peer_variables(space: SearchSpace) -> list[PeerVariable]:
    """The space as categorical variables (whitelisted groups merged, in the space's order)."""
    groups = [c for c in space.constraints if c.allowed]
    grouped = {p: g for g in groups for p in g.params}
    out, done = [], set()
    for p in space.params:
        group = grouped.get(p.name)
        if group is None:
            out.append(PeerVariable(p.name, (p.name,), tuple((c,) for c in p.choices)))
        elif id(group) not in done:
            done.add(id(group))
            out.append(PeerVariable("+".join(group.params), group.params, tuple(sorted(group.allowed, key=str))))
    return out


def decode(space: SearchSpace, variables: list[PeerVariable], indices: list[int]) -> Arch | None:
    """The architecture of one choice index per variable, or ``None`` when it breaks a constraint."""
    values: dict[str, Any] = {}
    for var, i in zip(variables, indices):
        values.update(zip(var.params, var.choices[int(i)]))
    try:
        return space.make_arch(values)
    except InvalidArchitectureError:
        return None


def is_active(space: SearchSpace, variable: PeerVariable, values: Mapping[str, Any]) -> bool:
    """Whether ``variable`` exists given the values chosen so far (its first parameter's condition)."""
    return space.is_active(space.param(variable.params[0]), values)
