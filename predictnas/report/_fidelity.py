"""What early stopping saved and what verification confirmed, in one line of a report."""

from __future__ import annotations

from typing import TYPE_CHECKING

from predictnas.types import TrialState

if TYPE_CHECKING:
    from predictnas.study import Study


def format_fidelity(study: Study) -> str | None:
    """``"epochs  412 of 1800 trained (77 % saved by stopping 130 trials early); verified 5, 3 on the
    front"``, or ``None`` when no trial was stopped early. The target is the largest step a complete
    trial reported; each finished trial would have cost that many steps without stopping."""
    trials = study.trials
    stopped = [t for t in trials if t.state is TrialState.STOPPED]
    if not stopped:
        return None
    finished = [t for t in trials if t.state in (TrialState.COMPLETE, TrialState.STOPPED) and t.intermediate]
    target = max((max(t.intermediate) for t in finished if t.state is TrialState.COMPLETE), default=None)
    trained = sum(len(t.intermediate) for t in finished)
    line = f"{trained} steps trained, {len(stopped)} trials stopped early"
    if target is not None:
        full = target * len(finished)
        line = (f"{trained} of {full} steps trained ({100 * (1 - trained / full):.0f} % saved by stopping {len(stopped)} "
                f"trials early; target step {target})")
    verified = [t for t in trials if "verifies" in t.user_attrs and t.state is TrialState.COMPLETE]
    front = {t.number for t in study.pareto_front()}
    line += (f"; {len(verified)} verified at the target (trained to the end after a stop), "
             f"{sum(t.number in front for t in verified)} of them on the front")
    return line
