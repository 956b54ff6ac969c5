"""Studies: ask/tell/optimize over resumable study files."""

from predictnas.study._events import EventKind, ProtocolError, StudyState, replay
from predictnas.study._optimize import BrokenEvaluatorError, EvaluatorMismatchError
from predictnas.study._storage import StudyFile
from predictnas.study._study import Study, create_study, load_study
from predictnas.types import FrozenTrial, Objective, OutcomeConstraint, TrialState

__all__ = ["BrokenEvaluatorError", "EvaluatorMismatchError", "EventKind", "FrozenTrial", "Objective", "OutcomeConstraint",
           "ProtocolError", "Study", "StudyFile", "StudyState", "TrialState", "create_study", "load_study", "replay"]
