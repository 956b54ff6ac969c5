"""Studies: ask/tell/optimize over resumable study files."""

from predictnas.exceptions import BrokenEvaluatorError, EvaluatorMismatchError, ProtocolError
from predictnas.study._definition import build_evaluator, run_definition
from predictnas.study._events import EventKind, StudyState, replay
from predictnas.study._open import create_study, load_study
from predictnas.study._records import jsonable
from predictnas.study._repair import repair_study
from predictnas.study._storage import StudyFile
from predictnas.study._study import Study
from predictnas.study._trust import code_manifest, is_approved
from predictnas.types import FrozenTrial, Objective, OutcomeConstraint, TrialState

__all__ = ["BrokenEvaluatorError", "EvaluatorMismatchError", "EventKind", "FrozenTrial", "Objective", "OutcomeConstraint",
           "ProtocolError", "Study", "StudyFile", "StudyState", "TrialState", "build_evaluator", "code_manifest",
           "create_study", "is_approved", "jsonable", "load_study", "repair_study", "replay", "run_definition"]
