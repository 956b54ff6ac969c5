"""``SearchSpace``: sampling, validation, neighbours, crossover, strings and canonical keys."""

from __future__ import annotations

import fnmatch
import itertools
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from predictnas.exceptions import InvalidArchitectureError, PredictNASError
from predictnas.spaces._arch import Arch, Value
from predictnas.spaces._cell import CellStructure
from predictnas.spaces._expr import Expression
from predictnas.spaces._members import Members
from predictnas.spaces._params import Param
from predictnas.spaces._unique import unique_architectures

ENUMERATION_LIMIT = 1_000_000  # raw (unconstrained) size up to which a space is enumerated exactly
_MAX_TRIES = 10_000


@dataclass(frozen=True)
class Constraint:
    """A rule every architecture must satisfy: an expression, or an allowed-value whitelist."""

    description: str
    expr: Expression | None = None
    params: tuple[str, ...] = ()
    allowed: frozenset[tuple[Value, ...]] = frozenset()

    def satisfied(self, values: Mapping[str, Value]) -> bool:
        if self.expr is not None:
            return bool(self.expr.evaluate(values))
        return tuple(values.get(p) for p in self.params) in self.allowed


@dataclass(frozen=True)
class Stage:
    """One elastic stage of a macro space: a depth parameter and per-layer parameters."""

    name: str
    depth_param: str
    layers: tuple[Mapping[str, str], ...]  # layer index -> {choice name: parameter name}


class SearchSpace:
    """A search space built from a declarative spec (see ``predictnas.load_space``).

    An architecture is an :class:`Arch` holding the values of its *active* parameters. All
    randomness comes from the ``rng`` argument (``numpy.random.Generator``).

    Args:
        name: Space name.
        params: Parameters in spec order; ``active_if`` refers only to earlier parameters.
        constraints: Rules every architecture must satisfy.
        cell: The cell DAG structure, when the space has one.
        stages: The elastic stages, when the space is a macro space.
        spec: The spec dict the space was built from (stored in study files).
        source: Where the spec came from (file path or ``"<dict>"``), for messages.
        members: A finite space: exactly these architectures (e.g. a benchmark table's rows);
            sampling, mutation and crossover stay inside them.
    """

    def __init__(
        self,
        *,
        name: str,
        params: Sequence[Param],
        constraints: Sequence[Constraint] = (),
        cell: CellStructure | None = None,
        stages: Sequence[Stage] = (),
        spec: Mapping[str, Any] | None = None,
        source: str = "<dict>",
        members: Members | None = None,
    ) -> None:
        self.name = name
        self._token = object()  # stamps the Arch objects this space built or validated
        self.params: tuple[Param, ...] = tuple(params)
        self.constraints = tuple(constraints)
        self.cell = cell
        self.stages = tuple(stages)
        self.spec = dict(spec or {})
        self.source = source
        self._by_name = {p.name: p for p in self.params}
        self.members = members
        for arch in members.archs if members is not None else ():
            self._stamp(arch)  # members are architectures of this space
        self._cell_params = (
            {p for _, _, p in cell.edges} | {p for _, a, b in cell.slots for p in (a, b)} if cell else set()
        )

    # -- basic facts ----------------------------------------------------------------------------
    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def param(self, name: str) -> Param:
        return self._by_name[name]

    def __repr__(self) -> str:
        return f"SearchSpace(name={self.name!r}, n_params={len(self.params)})"

    def is_active(self, param: Param, values: Mapping[str, Value]) -> bool:
        return param.active_if is None or bool(param.active_if.evaluate(values))

    # -- building and checking architectures ------------------------------------------------------
    def make_arch(self, values: Mapping[str, object], *, strict: bool = False) -> Arch:
        """Coerces a mapping (e.g. a CSV row or JSON) into a valid :class:`Arch`.

        Values may be given as text. Parameters that are inactive for this architecture are
        dropped (``strict=True``: rejected when given a non-empty value).

        Raises:
            InvalidArchitectureError: naming the parameter, the value and the allowed choices.
        """
        if isinstance(values, Arch) and values._owner is self._token and not strict:
            return values  # built or validated by this space already
        if not isinstance(values, Mapping):
            raise InvalidArchitectureError(
                f"An architecture of space {self.name!r} must be a mapping of parameter -> value; "
                f"got {type(values).__name__}."
            )
        unknown = sorted(set(values) - set(self._by_name))
        if unknown:
            raise InvalidArchitectureError(
                f"Unknown parameter(s) {unknown} for space {self.name!r}; known: {list(self.param_names)}."
            )
        out: dict[str, Value] = {}
        for p in self.params:
            given = values.get(p.name)
            empty = given is None or (isinstance(given, str) and not given.strip()) or (
                isinstance(given, float) and math.isnan(given)
            )
            if not self.is_active(p, out):
                if strict and not empty:
                    raise InvalidArchitectureError(
                        f"Parameter {p.name!r} is inactive here (its condition {p.active_if.source!r} "  # type: ignore[union-attr]
                        f"is false) but was given {given!r}; leave it out."
                    )
                continue
            if empty:
                raise InvalidArchitectureError(
                    f"Parameter {p.name!r} is missing; choose one of {list(p.choices)}."
                )
            try:
                out[p.name] = p.coerce(given)
            except KeyError:
                raise InvalidArchitectureError(
                    f"Parameter {p.name!r} got {given!r}, which is not allowed; choose one of {list(p.choices)}."
                ) from None
        for c in self.constraints:
            if not c.satisfied(out):
                raise InvalidArchitectureError(f"The architecture violates the constraint {c.description}.")
        if self.members is not None and self._raw_key(out) not in self.members:
            raise InvalidArchitectureError(f"The architecture is not one of the {len(self.members):,} members of space "
                                           f"{self.name!r} (a finite space: e.g. the rows of a table).")
        return self._stamp(Arch(out))

    def _stamp(self, arch: Arch) -> Arch:
        arch._owner = self._token
        return arch

    def validate(self, arch: Mapping[str, object]) -> Arch:
        """Checks an architecture strictly (no inactive parameters) and returns it as an ``Arch``."""
        return self.make_arch(arch, strict=True)

    def _complete(self, values: Mapping[str, Value], rng: np.random.Generator | None) -> dict[str, Value]:
        """Keeps given values of active parameters, draws (or takes the first choice of) newly active ones."""
        out: dict[str, Value] = {}
        for p in self.params:
            if self.is_active(p, out):
                if p.name in values:
                    out[p.name] = values[p.name]
                else:
                    out[p.name] = p.draw(rng) if rng is not None else p.choices[0]
        return out

    def _feasible(self, values: Mapping[str, Value]) -> bool:
        return all(c.satisfied(values) for c in self.constraints) and (
            self.members is None or self._raw_key(values) in self.members)

    # -- random operators -------------------------------------------------------------------------
    def sample(self, n: int = 1, *, rng: np.random.Generator | int | None = None, unique: bool = False) -> list[Arch]:
        """Draws ``n`` architectures: each active parameter uniformly, rejecting constraint violations.

        Args:
            n: Number of architectures.
            rng: Source of randomness: a ``numpy.random.Generator`` or a seed (default: seed 0,
                so a call without it is reproducible).
            unique: Return ``n`` architectures with distinct canonical keys.
        """
        rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(0 if rng is None else rng)
        out: list[Arch] = []
        seen: set[str] = set()
        tries = 0
        if self.members is not None and unique and n > len(self.members):
            raise PredictNASError(f"Could not sample {n} distinct architectures from space {self.name!r}: it has "
                                  f"{len(self.members)} members.")
        while len(out) < n:
            tries += 1
            if tries > _MAX_TRIES * max(n, 1):
                raise PredictNASError(
                    f"Could not sample {n} {'distinct ' if unique else ''}architectures from space "
                    f"{self.name!r} ({len(out)} found); the constraints may be too tight or the space too small."
                )
            if self.members is not None:
                arch = self.members.draw(1, rng)[0]
            else:
                values = self._complete({}, rng)
                if not self._feasible(values):
                    continue
                arch = self._stamp(Arch(values))
            if unique:
                key = self.canonical_key(arch)
                if key in seen:
                    continue
                seen.add(key)
            out.append(arch)
        return out

    def sample_many(self, n: int, *, rng: np.random.Generator) -> list[Arch]:
        """Up to ``n`` architectures drawn like :meth:`sample` (constraint violations are dropped,
        not redrawn), with one vectorised draw for all of them: for candidate pools of thousands."""
        if self.members is not None:
            return self.members.draw(n, rng)
        u = rng.random((n, len(self.params)))
        out: list[Arch] = []
        for row in u:
            values: dict[str, Value] = {}
            for p, x in zip(self.params, row):
                if p.active_if is None or self.is_active(p, values):
                    values[p.name] = p.choices[min(int(x * p.n_choices), p.n_choices - 1)]
            if self._feasible(values):
                out.append(self._stamp(Arch(values)))
        return out

    def mutate(self, arch: Mapping[str, Value], *, rng: np.random.Generator, n_changes: int = 1) -> Arch:
        """Changes ``n_changes`` active parameters to other random choices (newly active ones drawn)."""
        base = self.make_arch(arch)
        if self.members is not None:  # the closest other members: 1 to n_changes parameters apart
            return self.members.nearest(base, rng, exclude=self.canonical_key(base), within=n_changes) or base
        mutable = [name for name in base if self._by_name[name].n_choices > 1]
        if not mutable:
            return base
        for _ in range(_MAX_TRIES):
            values = dict(base)
            for name in rng.choice(mutable, size=min(n_changes, len(mutable)), replace=False):
                p = self._by_name[str(name)]
                others = [c for c in p.choices if c != values[p.name]]
                values[p.name] = others[int(rng.integers(len(others)))]
            values = self._complete(values, rng)
            if self._feasible(values) and values != dict(base):
                return self._stamp(Arch(values))
        return base

    def neighbors(self, arch: Mapping[str, Value]) -> list[Arch]:
        """All feasible architectures that differ in one active parameter (deterministic order).

        Parameters that become active take their first choice.
        """
        base = self.make_arch(arch)
        if self.members is not None:
            return self.members.at_distance_one(base)
        out: list[Arch] = []
        for name in base:
            p = self._by_name[name]
            for choice in p.choices:
                if choice == base[name]:
                    continue
                values = self._complete({**base, name: choice}, None)
                if self._feasible(values):
                    out.append(self._stamp(Arch(values)))
        return out

    def crossover(self, a: Mapping[str, Value], b: Mapping[str, Value], *, rng: np.random.Generator) -> Arch:
        """Uniform crossover: each active parameter from a random parent that has it (else drawn)."""
        parents = (self.make_arch(a), self.make_arch(b))
        for _ in range(100):
            values: dict[str, Value] = {}
            for p in self.params:
                if not self.is_active(p, values):
                    continue
                donors = [x[p.name] for x in parents if p.name in x]
                values[p.name] = donors[int(rng.integers(len(donors)))] if donors else p.draw(rng)
            if self.members is not None:  # the child, projected to a closest member
                return self.members.nearest(values, rng) or parents[0]
            if self._feasible(values):
                return self._stamp(Arch(values))
        return parents[0]

    # -- enumeration and size -----------------------------------------------------------------------
    def raw_size(self) -> int:
        """Product of all choice counts: an upper bound on the number of architectures (the
        number of members for a finite space)."""
        return len(self.members) if self.members is not None else math.prod(p.n_choices for p in self.params)

    def enumerate_unique(self, limit: int) -> list[tuple[str, Arch]] | None:
        """Every functionally distinct architecture ``(canonical key, arch)`` when the space has
        at most ``limit`` raw architectures, else ``None`` (also for spaces that cannot be
        enumerated)."""
        return unique_architectures(self, limit)  # cached by space definition

    def enumerate(self) -> Iterator[Arch]:
        """Every feasible architecture (spaces with ``raw_size() <= ENUMERATION_LIMIT`` only)."""
        if self.raw_size() > ENUMERATION_LIMIT:
            raise PredictNASError(
                f"Space {self.name!r} has up to {self.raw_size():.3g} architectures, too many to enumerate "
                f"(limit {ENUMERATION_LIMIT}); sample from it instead."
            )

        if self.members is not None:
            yield from self.members.archs
            return

        def walk(i: int, values: dict[str, Value]) -> Iterator[dict[str, Value]]:
            if i == len(self.params):
                yield values
                return
            p = self.params[i]
            if not self.is_active(p, values):
                yield from walk(i + 1, values)
                return
            for c in p.choices:
                yield from walk(i + 1, {**values, p.name: c})

        for values in walk(0, {}):
            if self._feasible(values):
                yield self._stamp(Arch(values))

    def cardinality(self) -> int:
        """Exact number of distinct feasible architectures (before canonical deduplication).

        Enumerates small spaces; for larger ones counts in closed form when there are no constraints
        (stage by stage). Raises ``PredictNASError`` when neither is possible.
        """
        if self.raw_size() <= ENUMERATION_LIMIT:
            return sum(1 for _ in self.enumerate())
        if self.constraints:
            raise PredictNASError(
                f"Space {self.name!r} is too large to enumerate and has constraints, so its exact size is "
                "unknown; use space.estimate_cardinality(rng=...) for a sampled estimate."
            )
        return _count_unconstrained(self)

    def estimate_cardinality(self, *, rng: np.random.Generator, n_samples: int = 20_000) -> float:
        """Unconstrained size times the sampled share of architectures that satisfy the constraints."""
        unconstrained = _count_unconstrained(self)
        hits = sum(self._feasible(self._complete({}, rng)) for _ in range(n_samples))
        return unconstrained * hits / n_samples

    # -- strings and canonical keys -----------------------------------------------------------------
    def to_string(self, arch: Mapping[str, Value]) -> str:
        """The architecture as text: NAS-Bench-201's official form for ``nb201`` cells, else ``name=value,...``."""
        arch = self.make_arch(arch)
        if self.cell is not None and self.cell.string_format == "nb201":
            return self.cell.to_nb201_string(arch)
        return ",".join(f"{k}={v}" for k, v in arch.items())

    def from_string(self, text: str) -> Arch:
        """Parses :meth:`to_string` output; raises ``InvalidArchitectureError`` on malformed text."""
        if not isinstance(text, str):
            raise InvalidArchitectureError(f"from_string expects a str; got {type(text).__name__}.")
        if self.cell is not None and self.cell.string_format == "nb201":
            try:
                values: dict[str, object] = dict(self.cell.from_nb201_string(text))
            except ValueError as exc:
                raise InvalidArchitectureError(f"Bad NAS-Bench-201 string {text!r}: {exc}.") from None
            return self.validate(values)
        values = {}
        for item in filter(None, (s.strip() for s in text.split(","))):
            name, sep, value = item.partition("=")
            if not sep:
                raise InvalidArchitectureError(f"Bad architecture string {text!r}: {item!r} is not name=value.")
            values[name.strip()] = value.strip()
        return self.validate(values)

    def canonical_key(self, arch: Mapping[str, Value]) -> str:
        """A string shared by exactly the architectures that compute the same function.

        Cells use NAS-Bench-201's isomorphism rule (see ``predictnas.spaces._cell``); inactive
        parameters never matter because an ``Arch`` holds active parameters only.
        """
        arch = self.make_arch(arch)
        if arch._key is None:
            arch._key = self._raw_key(arch)
        return arch._key

    def _raw_key(self, values: Mapping[str, Value]) -> str:
        """The canonical key of valid active ``values`` (no validation)."""
        rest = ",".join(f"{k}={v}" for k, v in values.items() if k not in self._cell_params)
        if self.cell is None:
            return rest
        cell = self.cell.canonical_expression(values)  # type: ignore[arg-type]
        return f"{cell}|{rest}" if rest else cell


def _count_unconstrained(space: SearchSpace) -> int:
    """Counts architectures ignoring constraints, grouping parameters by the ones they depend on."""
    controllers: dict[str, set[str]] = {}
    for p in space.params:
        if p.active_if is not None:
            controllers[p.name] = set(p.active_if.names) | {
                n for g in p.active_if.globs for n in space.param_names if fnmatch.fnmatchcase(n, g)
            }
    # Union-find over "depends on" to get independent groups.
    parent = {n: n for n in space.param_names}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for name, deps in controllers.items():
        for d in deps:
            parent[find(name)] = find(d)
    groups: dict[str, list[Param]] = {}
    for p in space.params:
        groups.setdefault(find(p.name), []).append(p)
    total = 1
    for members in groups.values():
        drivers = [p for p in members if p.active_if is None and any(p.name in controllers.get(m.name, ()) for m in members)]
        dependents = [p for p in members if p not in drivers]
        if math.prod(p.n_choices for p in drivers) > ENUMERATION_LIMIT:
            raise PredictNASError(f"Space {space.name!r} is too entangled to count exactly.")
        count = 0
        for combo in itertools.product(*(p.choices for p in drivers)):
            values: dict[str, Value] = {p.name: c for p, c in zip(drivers, combo)}
            n = 1
            for p in dependents:
                if space.is_active(p, values):
                    if p.active_if is not None and any(d.active_if is not None for d in dependents if d.name in p.active_if.names):
                        raise PredictNASError(f"Space {space.name!r} has nested conditions; cannot count exactly.")
                    n *= p.n_choices
            count += n
        total *= count
    return total
