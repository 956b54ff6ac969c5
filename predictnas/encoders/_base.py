"""The ``Encoder`` interface (scikit-learn style: ``fit(space)`` then ``transform(archs)``)."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from predictnas.exceptions import NotFittedError
from predictnas.spaces import Arch, SearchSpace


class Encoder(abc.ABC):
    """Turns architectures of one space into model features. Deterministic; no randomness.

    Subclasses implement :meth:`transform`; :meth:`fit` stores the space (``space_``) and calls
    the ``_fit`` hook, and fitted attributes end in ``_``.
    """

    kind: ClassVar[str]

    def fit(self, space: SearchSpace) -> Encoder:
        """Learns the feature layout of ``space``; returns ``self``."""
        if not isinstance(space, SearchSpace):
            raise TypeError(f"{type(self).__name__}.fit expects a SearchSpace; got {type(space).__name__}.")
        self.space_ = space
        self._fit(space)
        return self

    def _fit(self, space: SearchSpace) -> None:
        """Hook for subclasses: compute the fixed feature layout."""

    @abc.abstractmethod
    def transform(self, archs: Sequence[Mapping[str, Any]]) -> Any:
        """Encodes ``archs`` (a list of ``Arch`` or mappings); the shape is documented per encoder."""

    def fit_transform(self, space: SearchSpace, archs: Sequence[Mapping[str, Any]]) -> Any:
        return self.fit(space).transform(archs)

    def _archs(self, archs: Sequence[Mapping[str, Any]]) -> list[Arch]:
        if not hasattr(self, "space_"):
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet; call fit(space) before transform()."
            )
        if isinstance(archs, Mapping):
            raise TypeError("transform expects a list of architectures; wrap a single one in a list.")
        return [a if isinstance(a, Arch) else self.space_.make_arch(a) for a in archs]
