"""Parameter types of a search space: categorical, ordinal and integer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from predictnas.spaces._arch import Value
from predictnas.spaces._expr import Expression

ParamKind = Literal["categorical", "ordinal", "integer"]


@dataclass(frozen=True)
class Param:
    """One searchable parameter.

    Args:
        name: Unique parameter name (also the CSV column name for table evaluators).
        kind: ``"categorical"`` (unordered choices, one-hot encoded), ``"ordinal"`` (ordered
            choices, encoded by rank) or ``"integer"`` (``low..high`` by ``step``).
        choices: The allowed values, in order (integers are expanded to their choices).
        active_if: When given, the parameter exists only where this expression is true.
        role: What the parameter means structurally: ``"param"``, ``"cell_op"``, ``"cell_input"``,
            ``"depth"`` or ``"layer"`` (used by the graph encoder and canonical forms).
    """

    name: str
    kind: ParamKind
    choices: tuple[Value, ...]
    active_if: Expression | None = None
    role: str = "param"
    _index: dict[Value, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._index.update({_choice_key(c): i for i, c in enumerate(self.choices)})

    @property
    def n_choices(self) -> int:
        return len(self.choices)

    @property
    def is_numeric(self) -> bool:
        return all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in self.choices)

    def index(self, value: Value) -> int:
        """Position of ``value`` among the choices; ``KeyError`` when it is not one of them."""
        return self._index[_choice_key(value)]

    def contains(self, value: object) -> bool:
        try:
            return _choice_key(value) in self._index  # type: ignore[arg-type]
        except TypeError:
            return False

    def coerce(self, value: object) -> Value:
        """Returns the choice equal to ``value``, also accepting its text form (CSV cells).

        Raises:
            KeyError: when no choice matches.
        """
        if self.contains(value):
            return self.choices[self.index(value)]  # type: ignore[arg-type]
        if isinstance(value, str):
            text = value.strip()
            for choice in self.choices:
                if str(choice) == text or (self.is_numeric and _same_number(text, choice)):
                    return choice
        raise KeyError(value)

    def draw(self, rng: np.random.Generator) -> Value:
        return self.choices[int(rng.integers(self.n_choices))]


def _choice_key(value: Value) -> tuple[str, Value]:
    # Distinguish True from 1 and "3" from 3, but treat 3 and 3.0 alike.
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("num", float(value))
    return (type(value).__name__, value)


def _same_number(text: str, choice: Value) -> bool:
    try:
        return float(text) == float(choice)  # type: ignore[arg-type]
    except ValueError:
        return False


def integer_choices(low: int, high: int, step: int) -> tuple[int, ...]:
    return tuple(range(low, high + 1, step))


def is_flat_value_list(values: Sequence[object]) -> bool:
    return all(isinstance(v, (str, int, float, bool)) for v in values)
