"""Plain-text summaries of a study (status table, Pareto front) and exports (CSV / JSONL)."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

from predictnas._text import for_terminal
from predictnas.report._device import format_device
from predictnas.report._fidelity import format_fidelity
from predictnas.study import Study, code_manifest, is_approved
from predictnas.types import TrialState


def format_status(study: Study) -> str:
    """The ``predictnas status`` summary (text from the file is shown terminal-safe)."""
    from predictnas.report._reference import table_reference

    counts = Counter(t.state for t in study.trials)
    cache = sum(t.cache_of is not None for t in study.trials)
    objectives = ", ".join(f"{o.name} ({o.direction})" for o in study.objectives)
    used = Counter(p["n"] for p in study.proposals)
    batch = f"batch {study.batch_size}" + (f" (used: {', '.join(str(n) for n, _ in used.most_common())})"
                                          if used and set(used) != {study.batch_size} else "")
    lines = [
        f"study       {study.name}  ({study.path})",
        f"space       {study.space.name}",
        f"objectives  {objectives}",
        f"constraints {', '.join(map(str, study.constraints)) or '-'}",
        f"proposer    {study.definition['proposer']['name']}   seed {study.seed}   {batch}",
        f"trials      {len(study.trials)} / {study.budget or '-'}: {counts[TrialState.COMPLETE]} complete "
        f"({cache} cache hits), {counts[TrialState.FAILED]} failed, {counts[TrialState.RUNNING]} running"
        + (f", {counts[TrialState.STOPPED]} stopped early (lower fidelity: never on the front)"
           if counts[TrialState.STOPPED] else "")
        + (f"; {verifications} of them verifications of stopped trials" if (verifications := sum(
            "verifies" in t.user_attrs for t in study.trials)) else ""),
        f"front       {len(study.pareto_front())} architectures, hypervolume {study.hypervolume():.4f} "
        "(normalised to the observed range, ref 1.1; complete trials at the target fidelity only)",
    ]
    fidelity = format_fidelity(study)
    if fidelity is not None:
        lines.append(f"fidelity    {fidelity}")
    device = format_device(study)
    if device is not None:
        lines.append(f"device      {device}")
    reference = table_reference(study)
    if reference is not None:
        lines.append(f"vs table    {reference.describe()}")
    lines.append(f"wall time   {format_wall_time(study)}")
    if study.proposals:
        lines.append(f"asks        {format_proposals(study.proposals)}")
    lines.append(f"code        {format_code(study)}")
    return "\n".join(for_terminal(line) for line in lines)


def format_wall_time(study: Study) -> str:
    """``"315.8 s (254.8 s before the first proposal: building the evaluator, e.g. training a supernet;
    61.0 s searching)"``, with the pauses between runs when there were any."""
    wall, setup = study.wall_time_s, study.setup_s or 0.0
    paused = wall - study.active_time_s
    notes = [f"{setup:.1f} s before the first proposal: building the evaluator, e.g. training a supernet; "
             f"{wall - setup:.1f} s searching"] if setup >= 1.0 else []
    notes += [f"{study.active_time_s:.1f} s running, {paused:.1f} s paused between runs"] if paused > 0 else []
    return f"{wall:.1f} s" + (f" ({'; '.join(notes)})" if notes else "")


def format_code(study: Study) -> str:
    """What resuming the study would run beyond predictnas's own parts, and whether it is approved."""
    items = code_manifest(study.definition, study.path)
    if not items:
        return "predictnas's own parts only (nothing to approve)"
    state = "approved here" if study.path is not None and is_approved(study.definition, study.path) else \
        "NOT approved: `predictnas resume --trust` runs it"
    return f"{state}: " + "; ".join(str(i) for i in items)


def format_proposals(proposals: list[dict]) -> str:
    """``25 steps, median 0.71 s (mean 0.80, max 1.4 s) per step; proposed by gp 23, random 2;
    model steps, median: fit 0.05 s, pool 0.01 s, shortlist 0.14 s, acquisition 0.45 s``."""
    import numpy as np

    seconds = [p["seconds"] for p in proposals if "seconds" in p]
    models = Counter(p["model"] for p in proposals if "model" in p)
    by = ", ".join(f"{name} {count}" for name, count in models.most_common())
    phases = [p["phase_seconds"] for p in proposals if p.get("phase_seconds")]
    names = list(dict.fromkeys(name for phase in phases for name in phase))
    split = ", ".join(f"{name} {np.median([phase.get(name, 0.0) for phase in phases]):.2f} s" for name in names)
    return (f"{len(proposals)} steps, median {np.median(seconds):.2f} s (mean {np.mean(seconds):.2f}, max {max(seconds):.2f} s)"
            " per step" + (f"; proposed by {by}" if by else "") + (f"; model steps, median: {split}" if split else ""))


def format_front(study: Study, *, max_rows: int = 25) -> str:
    front = sorted(study.pareto_front(), key=lambda t: [t.values[o.name] for o in study.objectives])
    names = [o.name for o in study.objectives]
    header = f"{'trial':>6s}  " + "  ".join(f"{n:>12s}" for n in names) + "  architecture"
    lines = [f"Pareto front ({len(front)} architectures):", header]
    for t in front[:max_rows]:
        values = "  ".join(f"{t.values[n]:12.4g}" for n in names)
        lines.append(f"{t.number:6d}  {values}  {study.space.to_string(t.arch)}")
    if len(front) > max_rows:
        lines.append(f"... {len(front) - max_rows} more (see `predictnas export`)")
    return "\n".join(for_terminal(line) for line in lines)


def export_trials(study: Study, fmt: str) -> str:
    """All trials as CSV (one row per trial: number, state, parameters, objectives, ...) or JSONL."""
    rows = study.trial_rows()
    if fmt == "jsonl":
        return "".join(json.dumps(r, default=str) + "\n" for r in rows)
    buffer = io.StringIO()
    fields: list[str] = []
    for r in rows:
        fields += [k for k in r if k not in fields]
    writer = csv.DictWriter(buffer, fieldnames=fields or ["number", "state"])
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()
