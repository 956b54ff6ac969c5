"""What a study stores and shows of its records: the proposer (and how it is rebuilt), user
values as JSON, told values, and trials as flat rows."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from predictnas.exceptions import InvalidSpecError, InvalidValuesError, StudyError
from predictnas.spaces import SearchSpace
from predictnas.types import FrozenTrial, TrialState, as_real

if TYPE_CHECKING:
    from predictnas.proposers import Proposer


def jsonable(value: Any) -> Any:
    """``value`` as JSON can store it: kept when it is already storable; else dicts key by key,
    real numbers as floats, anything else as its ``repr`` (and a too-deep nesting as a note)."""
    try:
        json.dumps(value, allow_nan=False)
        return value
    except RecursionError:
        if isinstance(value, dict):
            return {str(k): jsonable(v) for k, v in value.items()}
        return f"<not stored: a {type(value).__name__} nested too deeply to store>"
    except (TypeError, ValueError):
        if isinstance(value, dict):
            return {str(k): jsonable(v) for k, v in value.items()}
        number = as_real(value)
        return number if number is not None else repr(value)


def proposer_record(proposer: str | Proposer, options: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the study file stores to rebuild the proposer on resume: ``{"name", "options"}`` with
    a registered name or a ``"package.module:Class"`` entry point. A proposer instance is recorded
    by its class and the constructor options it keeps as attributes (scikit-learn convention);
    one that cannot be rebuilt that way is recorded with ``"rebuild": false`` and must be passed
    to :func:`load_study` again."""
    from predictnas._registry import entry_point_of
    from predictnas.proposers import PROPOSERS, Proposer, make_proposer, proposer_options

    if isinstance(proposer, str):
        make_proposer(proposer, dict(options or {}))  # validate early: unknown names and options
        return {"name": proposer, "options": dict(options or {})}
    if not isinstance(proposer, Proposer):
        raise InvalidSpecError(f"proposer must be a name, an entry point \"package.module:Class\" or a Proposer; "
                               f"got {type(proposer).__name__}.")
    if options:
        raise InvalidSpecError("proposer_options are for a proposer given by name; an instance carries its own.")
    cls = type(proposer)
    name = next((k for k, v in PROPOSERS.items() if v is cls), entry_point_of(cls))
    accepted = proposer_options(cls)
    recorded = {k: getattr(proposer, k) for k in accepted if hasattr(proposer, k)}
    rebuild = ("<locals>" not in name and cls.__module__ != "__main__" and set(recorded) == set(accepted)
               and jsonable(recorded) == recorded)
    if rebuild:
        try:
            make_proposer(name, recorded)
        except (InvalidSpecError, TypeError, ValueError):
            rebuild = False
    return {"name": name, "options": recorded if rebuild else None, **({} if rebuild else {"rebuild": False})}


def rebuild_proposer(record: Mapping[str, Any], surrogate: Mapping[str, Any] | None, *, where: str) -> Proposer:
    """The proposer a study file records (see :func:`proposer_record`)."""
    from predictnas.proposers import PROPOSERS, make_proposer, proposer_options

    if record.get("rebuild") is False:
        raise StudyError(f"{where}: was created with a proposer instance ({record['name']}) that cannot be rebuilt from "
                         "the file; pass it again: load_study(path, proposer=...).")
    options = dict(record.get("options") or {})
    cls = PROPOSERS.get(record["name"])  # a built-in: entry points are resolved (and approved) by make_proposer
    takes = proposer_options(cls) if cls is not None else {}
    if surrogate and surrogate.get("name") and "surrogate" in takes and "surrogate" not in options:
        options["surrogate"] = surrogate["name"]  # the study's surrogate setting chooses the model that proposes
        if "encoding" in takes:
            options.setdefault("encoding", surrogate.get("encoding", "tabular"))
    return make_proposer(record["name"], options)


def stored_values(values: Mapping[str, Any] | None, names: Sequence[str]) -> dict[str, float]:
    """``values`` as a study stores them (``{metric: float}`` for each of ``names``), or
    ``InvalidValuesError`` naming what is missing, unknown or not a finite real number."""
    if not isinstance(values, Mapping):
        raise InvalidValuesError(
            f"Values must be a mapping of {names} to numbers; got {type(values).__name__} {values!r}."
        )
    problems = []
    missing = [m for m in names if m not in values]
    unknown = [k for k in values if k not in names]
    if missing:
        problems.append(f"missing {missing}")
    if unknown:
        problems.append(f"unknown {unknown}")
    numbers = {k: as_real(v) for k, v in values.items() if k in names}
    bad = {k: values[k] for k, v in numbers.items() if v is None}
    if bad:
        problems.append(f"not finite real numbers: {bad}")
    if problems:
        raise InvalidValuesError(f"Values {dict(values)!r} do not fit the study's metrics {names}: {'; '.join(problems)}.")
    return {m: float(numbers[m]) for m in names}  # type: ignore[arg-type]


def trial_rows(trials: Sequence[FrozenTrial], space: SearchSpace, metrics: Sequence[str]) -> list[dict[str, Any]]:
    """One flat dict per trial (exports, reports, DataFrames): number, state, parameters, the
    ``metrics``, cheap statistics (``cheap_*``), architecture string, key, step, cache source,
    duration, error and user attributes (``user_*``)."""
    rows = []
    for t in trials:
        row: dict[str, Any] = {"number": t.number, "state": t.state.value}
        row.update({p: t.arch.get(p) for p in space.param_names})
        row.update({m: t.values.get(m) for m in metrics})
        row.update({f"cheap_{k}": v for k, v in t.cheap.items()})
        row.update({"arch": space.to_string(t.arch), "key": t.key, "step": t.step,
                    "cache_of": t.cache_of, "duration_s": t.duration_s, "error": t.error})
        row.update({f"user_{k}": v for k, v in t.user_attrs.items()})
        rows.append(row)
    return rows


def tell_payload(number: int, state: TrialState | str, values: Mapping[str, Any] | None, *,
                 check: Callable[[Mapping[str, Any] | None], dict[str, float]], cheap: Mapping[str, Any] | None,
                 user_attrs: Mapping[str, Any] | None, error: str | None, duration_s: float | None) -> dict[str, Any]:
    """The ``tell`` event of a complete (values ``check``-ed) or failed trial."""
    try:
        state = TrialState(state)
    except ValueError:
        raise InvalidValuesError(f"Unknown state {state!r}; use \"complete\" or \"failed\".") from None
    payload: dict[str, Any] = {"number": number, "state": state.value}
    if state is TrialState.COMPLETE:
        payload["values"] = check(values)
    elif state is TrialState.FAILED:
        payload["error"] = str(error or "failed")
    else:
        raise InvalidValuesError("tell() records a finished trial; state must be \"complete\" or \"failed\" "
                                 "(a trial ended early: study.stop(trial)).")
    if cheap:
        payload["cheap"] = {k: v for k, v in ((k, as_real(v)) for k, v in cheap.items()) if v is not None}
    if user_attrs:
        payload["user_attrs"] = jsonable(dict(user_attrs))
    if duration_s is not None:
        payload["duration_s"] = float(duration_s)
    return payload


def split_metrics(returned: Mapping[str, Any], names: Sequence[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(the study's metrics, the rest)`` of an evaluator's values; the rest is kept as user attributes."""
    return ({k: v for k, v in returned.items() if k in names}, {k: v for k, v in returned.items() if k not in names})
