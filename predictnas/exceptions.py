"""Errors raised by predictnas. Every concrete error also subclasses the fitting builtin."""

from __future__ import annotations


class PredictNASError(Exception):
    """Root of every error predictnas raises on purpose."""


class InvalidSpecError(PredictNASError, ValueError):
    """A space spec or study definition is malformed.

    Args:
        message: What is wrong and how to fix it.
        source: The file (or ``"<dict>"``) the spec came from.
        key: The key path inside the spec, e.g. ``"macro.stages[2].depth"``.
    """

    def __init__(self, message: str, *, source: str | None = None, key: str | None = None) -> None:
        self.source = source
        self.key = key
        where = ": ".join(part for part in (source, key) if part)
        super().__init__(f"{where}: {message}" if where else message)


class InvalidArchitectureError(PredictNASError, ValueError):
    """An architecture does not belong to its search space."""


class NotFittedError(PredictNASError, ValueError, AttributeError):
    """An estimator (encoder, surrogate) was used before ``fit``."""


class StudyError(PredictNASError):
    """Base of study and study-file errors."""


class StudyNotFoundError(StudyError, FileNotFoundError):
    """The study file does not exist."""


class IncompatibleStudyFileError(StudyError, ValueError):
    """The file is not a predictnas study, is corrupt, or comes from a newer schema."""


class StudyFileDamagedError(IncompatibleStudyFileError):
    """The study file is truncated or corrupt (``detail``: which event); ``predictnas export``
    still reads every intact event and ``predictnas repair`` writes them into a new file."""

    detail: str = ""


class StudyWriteError(StudyError, OSError):
    """The study file could not be written (disk full, read-only); nothing of that step was stored."""


class StudyLockedError(StudyError, RuntimeError):
    """Another process holds the study file open for writing."""


class InvalidValuesError(StudyError, ValueError):
    """Values told to a study do not match its objectives."""


class EvaluationError(PredictNASError, RuntimeError):
    """An evaluator could not evaluate an architecture (the trial is marked failed)."""


class OptionalDependencyError(PredictNASError, ImportError):
    """An optional dependency is missing."""


class UntrustedStudyError(StudyError, PermissionError):
    """A study file asks predictnas to load code (or write outside its folder) that the user has not
    approved for it; the message names each item and how to approve it."""


class SpaceExhaustedError(PredictNASError):
    """Every architecture of the space has been proposed already."""


class ReportError(PredictNASError):
    """A study cannot be reported (no completed trials, incomparable studies, ...)."""


class EvaluationTimeout(EvaluationError, TimeoutError):
    """An evaluation ran past its time limit (the trial is marked failed)."""


class WorkerLost(EvaluationError):
    """The worker running an evaluation died (the trial is marked failed)."""


class ExpressionError(InvalidSpecError):
    """The expression is not valid, or cannot be evaluated; the message says why (the spec loader
    adds file and key)."""


class ProtocolError(StudyFileDamagedError):
    """An event that the protocol refuses (see the module docs)."""


class EvaluatorMismatchError(StudyError, ValueError):
    """The evaluator's results do not name the study's metrics (e.g. ``accuracy`` for ``acc``)."""


class BrokenEvaluatorError(StudyError, RuntimeError):
    """Every evaluation of a run failed so far: the evaluator itself is probably broken."""
