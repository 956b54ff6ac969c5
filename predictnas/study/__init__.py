"""Studies: ask/tell/optimize over resumable study files."""

from predictnas.study._storage import StudyFile
from predictnas.study._study import Study, create_study, load_study
from predictnas.study._types import FrozenTrial, Objective, OutcomeConstraint, TrialState

__all__ = ["FrozenTrial", "Objective", "OutcomeConstraint", "Study", "StudyFile", "TrialState", "create_study", "load_study"]
