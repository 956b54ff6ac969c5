"""``predictnas repair``: a new, valid study file from what survives in a damaged one."""

from __future__ import annotations

from pathlib import Path

from predictnas.exceptions import StudyError
from predictnas.study._events import StudyState
from predictnas.study._storage import StudyFile


def repair_study(source: str | Path, target: str | Path) -> tuple[StudyState, list[str]]:
    """Writes every intact event of ``source`` (read-only, never changed) into a new study file
    ``target`` that ``resume`` can continue: damaged events are left out, and so are the events
    that depend on them (e.g. the result of a trial whose ask was damaged). Trial numbers are
    kept, so a lost trial leaves a gap; a trial whose result was lost is running again and is
    re-evaluated on resume.

    Returns:
        The repaired study's state and one line per thing left out.
    """
    source, target = Path(source), Path(target)
    if source.resolve() == target.resolve():
        raise StudyError(f"{target}: repair writes a new file; choose another path than the damaged one.")
    if target.exists():
        raise StudyError(f"{target}: already exists; choose a new path for the repaired study.")
    damaged = StudyFile(source, salvage=True)
    try:
        state, kept = StudyState(), []
        for seq, op, payload, ts in damaged.read():
            if state.apply(seq, op, payload, ts, salvage=True):
                kept.append((op, payload))
        lost = [*damaged.lost, *state.lost]
    finally:
        damaged.close()
    if not state.definition:
        raise StudyError(f"{source}: its study definition is damaged; nothing can be repaired.")
    from predictnas.study._trust import approve, is_approved

    if is_approved(state.definition, source):  # the copy runs what the original was approved to run
        approve(state.definition, target)
    StudyFile(target, create=True, initial=kept).close()
    return state, lost
