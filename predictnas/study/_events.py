"""The study file's event protocol: event kinds, their payloads, and the pure replay that turns
an event log into a study state.

Every event is checked when it is replayed: an unknown kind, a malformed payload, a trial that
does not exist, or a result told for a trial that already finished is a :class:`ProtocolError`
naming the event. The study checks each new batch of events against a copy of its state before
writing it (:meth:`StudyState.check`), so a file never holds an event that its replay refuses.
With ``salvage=True`` the replay skips such events instead and records what it lost.
"""

from __future__ import annotations

import bisect
import copy
import dataclasses
import enum
from collections import ChainMap
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from predictnas.exceptions import ProtocolError
from predictnas.spaces import Arch
from predictnas.types import FrozenTrial, TrialState, as_real


class EventKind(str, enum.Enum):
    """What an event records (its ``op`` column)."""

    CREATE = "create"  # {"definition": {...}}: the first event, once
    ASK = "ask"  # {"step": int, "trials": [{"number", "params", "key"}], "proposal"?: {...}}
    TELL = "tell"  # {"number", "state": "complete"|"failed", "values"?, "cheap"?, "user_attrs"?, "error"?, ...}
    ATTR = "attr"  # {"number", "key", "value"}
    BUDGET = "budget"  # {"budget": int}
    DIAGNOSTICS = "diagnostics"  # {"n_complete", "surrogate", ...}: surrogate quality
    REPORT = "report"  # {"number", "step": int >= 1, "values"}: an intermediate result of a running trial


class _ByNumber:
    """Trials kept in number order, for lists that are read far more often than changed."""

    def __init__(self) -> None:
        self.numbers: list[int] = []
        self.trials: list[FrozenTrial] = []

    def put(self, trial: FrozenTrial) -> None:
        i = bisect.bisect_left(self.numbers, trial.number)
        if i < len(self.numbers) and self.numbers[i] == trial.number:
            self.trials[i] = trial
        else:
            self.numbers.insert(i, trial.number)
            self.trials.insert(i, trial)

    def remove(self, number: int) -> None:
        i = bisect.bisect_left(self.numbers, number)
        del self.numbers[i], self.trials[i]


class TrialIndex:
    """What every ``ask`` needs, kept up to date as trials change, so that appending to a study
    costs about the same at 10,000 trials as at 10 (no scan or sort of all trials per event).

    Attributes:
        keys: Canonical keys of all trials.
        by_state: Trials per state in number order (complete cache hits are kept apart in ``cached``).
        done_by_key: Key -> number of the latest complete trial that is not a cache hit.
        n_retries: Trials whose ``user_attrs`` hold ``retry_of``.
    """

    def __init__(self) -> None:
        self.keys: set[str] = set()
        self.by_state: dict[TrialState, _ByNumber] = {s: _ByNumber() for s in TrialState}
        self.cached = _ByNumber()
        self.done_by_key: dict[str, int] = {}
        self.n_retries = 0

    def update(self, old: FrozenTrial | None, new: FrozenTrial) -> None:
        if old is None:
            self.keys.add(new.key)
        else:
            if self._group(old) is not self._group(new):
                self._group(old).remove(old.number)
            self.n_retries -= "retry_of" in old.user_attrs
        self._group(new).put(new)
        if new.state is TrialState.COMPLETE and new.cache_of is None and new.number >= self.done_by_key.get(new.key, -1):
            self.done_by_key[new.key] = new.number
        self.n_retries += "retry_of" in new.user_attrs

    def _group(self, trial: FrozenTrial) -> _ByNumber:
        return self.cached if trial.state is TrialState.COMPLETE and trial.cache_of is not None else self.by_state[trial.state]


@dataclass
class StudyState:
    """The replay of an event log.

    Attributes:
        definition: The study definition of the ``create`` event (``budget`` updated by ``budget`` events).
        trials: Trials by number (numbers only grow; a salvaged file may have gaps).
        step: The next ask step.
        diagnostics: ``diagnostics`` payloads in order.
        proposals: Per proposer step: ``step``, ``n`` and what the proposer reported.
        first_ts, last_ts: Timestamps of the first and last event.
        busy_s: Seconds between consecutive events that are less than ``IDLE_GAP_S`` apart (the
            study's active time; a longer gap is a pause between a run and its resume).
        setup_s: Seconds from the first event to the first ``ask`` (building the evaluator, e.g.
            training a supernet), ``None`` before the first ``ask``.
        last_seq: Sequence number of the last event applied.
        lost: What a salvaging replay skipped, one line each.
    """

    definition: dict[str, Any] = field(default_factory=dict)
    trials: MutableMapping[int, FrozenTrial] = field(default_factory=dict)
    step: int = 0
    diagnostics: list[dict[str, Any]] = field(default_factory=list)
    proposals: list[dict[str, Any]] = field(default_factory=list)
    first_ts: float | None = None
    last_ts: float | None = None
    busy_s: float = 0.0
    setup_s: float | None = None
    last_seq: int = 0
    lost: list[str] = field(default_factory=list)
    next_number: int = 0
    index: TrialIndex | None = field(default_factory=TrialIndex)
    report_seq: dict[tuple[int, int], int] = field(default_factory=dict)  # (trial, step) -> event seq of its report
    tell_seq: dict[int, int] = field(default_factory=dict)  # trial -> event seq of its tell

    IDLE_GAP_S = 300.0

    def ordered(self, state: TrialState, *, cached: bool = False) -> list[FrozenTrial]:
        """Trials in ``state`` in number order (complete cache hits only with ``cached``)."""
        assert self.index is not None
        trials = self.index.by_state[state].trials
        if cached and state is TrialState.COMPLETE and self.index.cached.trials:
            return sorted(trials + self.index.cached.trials, key=lambda t: t.number)
        return list(trials)

    def check(self, events: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        """Raises :class:`ProtocolError` unless ``events`` replay cleanly after this state (applied
        to a scratch state that shares this one's trials read-only, so a check costs the size of
        ``events``, not of the study)."""
        scratch = dataclasses.replace(self, definition=dict(self.definition), trials=ChainMap({}, self.trials),
                                      report_seq=ChainMap({}, self.report_seq),  # type: ignore[arg-type]
                                      tell_seq=ChainMap({}, self.tell_seq),  # type: ignore[arg-type]
                                      diagnostics=[], proposals=[], lost=[], index=None)
        for offset, (kind, payload) in enumerate(events, start=1):
            scratch.apply(self.last_seq + offset, kind, payload, self.last_ts or 0.0)

    def _put(self, trial: FrozenTrial) -> None:
        if self.index is not None:
            self.index.update(self.trials.get(trial.number), trial)
        self.trials[trial.number] = trial

    def apply(self, seq: int, kind: str, payload: Mapping[str, Any], ts: float, *, salvage: bool = False) -> bool:
        """Applies one event; returns whether it was applied. Raises :class:`ProtocolError`;
        with ``salvage`` it records the problem in ``lost`` and skips the event instead (a
        ``create`` is never skipped)."""
        applied = True
        try:
            self._apply(seq, kind, payload)
        except ProtocolError as exc:
            if not salvage or kind == EventKind.CREATE.value or not self.definition:
                raise
            self.lost.append(str(exc))
            applied = False
        self.last_seq = seq
        if self.last_ts is not None and 0 <= ts - self.last_ts < self.IDLE_GAP_S:
            self.busy_s += ts - self.last_ts
        self.first_ts = self.first_ts if self.first_ts is not None else ts
        if self.setup_s is None and applied and kind == EventKind.ASK.value:
            self.setup_s = max(0.0, ts - self.first_ts)
        self.last_ts = ts
        return applied

    # -- one event ------------------------------------------------------------------------------
    def _apply(self, seq: int, kind: str, payload: Mapping[str, Any]) -> None:
        where = f"event {seq} ({kind})"

        def fail(detail: str) -> ProtocolError:
            return ProtocolError(f"{where} {detail}")

        if not isinstance(payload, Mapping):
            raise fail("has no payload object")
        try:
            kind_ = EventKind(kind)
        except ValueError:
            raise fail(f"is of an unknown kind; known kinds: {[k.value for k in EventKind]}") from None
        if kind_ is not EventKind.CREATE and not self.definition:
            raise fail("comes before the study definition")
        if kind_ is EventKind.CREATE:
            if self.definition:
                raise fail("repeats the study definition")
            definition = payload.get("definition")
            if not isinstance(definition, Mapping) or not {"name", "seed", "space", "objectives"} <= set(definition):
                raise fail("has no valid study definition (name, seed, space, objectives)")
            self.definition = copy.deepcopy(dict(definition))
        elif kind_ is EventKind.ASK:
            self._ask(payload, fail)
        elif kind_ is EventKind.TELL:
            self._tell(payload, fail)
            self.tell_seq[payload["number"]] = seq
        elif kind_ is EventKind.ATTR:
            trial = self._trial(payload.get("number"), fail)
            if not isinstance(payload.get("key"), str) or "value" not in payload:
                raise fail("needs a string key and a value")
            self._put(dataclasses.replace(trial, user_attrs={**trial.user_attrs, payload["key"]: payload["value"]}))
        elif kind_ is EventKind.BUDGET:
            budget = payload.get("budget")
            if not isinstance(budget, int) or isinstance(budget, bool) or budget < 1:
                raise fail(f"holds budget {budget!r}, not a positive integer")
            self.definition["budget"] = budget
        elif kind_ is EventKind.DIAGNOSTICS:
            self.diagnostics.append(dict(payload))
        elif kind_ is EventKind.REPORT:
            self._report(seq, payload, fail)

    def _report(self, seq: int, payload: Mapping[str, Any], fail: Any) -> None:
        trial = self._trial(payload.get("number"), fail)
        if trial.state is not TrialState.RUNNING:
            raise fail(f"reports for trial {trial.number}, which is already {trial.state.value}")
        step, values = payload.get("step"), payload.get("values")
        if not isinstance(step, int) or isinstance(step, bool) or step < 1 or step in trial.intermediate:
            raise fail(f"reports step {step!r} of trial {trial.number}; a step is a new integer >= 1")
        if not isinstance(values, Mapping) or not values or any(as_real(v) is None for v in values.values()):
            raise fail(f"reports values that are not finite numbers: {values!r}")
        self.report_seq[(trial.number, step)] = seq
        self._put(dataclasses.replace(trial, intermediate={**trial.intermediate, step: {k: float(v) for k, v in values.items()}}))

    def _trial(self, number: object, fail: Any) -> FrozenTrial:
        if not isinstance(number, int) or isinstance(number, bool) or number not in self.trials:
            raise fail(f"names trial {number!r}, which does not exist")
        return self.trials[number]

    def _ask(self, payload: Mapping[str, Any], fail: Any) -> None:
        step, entries = payload.get("step"), payload.get("trials")
        if not isinstance(step, int) or isinstance(step, bool) or step < 0 or not isinstance(entries, list):
            raise fail("needs a step number and a list of trials")
        new: dict[int, FrozenTrial] = {}
        low = self.next_number
        for entry in entries:
            if not isinstance(entry, Mapping) or not isinstance(entry.get("params"), Mapping) \
                    or not isinstance(entry.get("key"), str):
                raise fail("holds a trial without params and key")
            number = entry.get("number")
            if not isinstance(number, int) or isinstance(number, bool) or number < low:
                raise fail(f"creates trial {number!r}; the next trial number is {low}")
            low = number + 1
            new[number] = FrozenTrial(number, Arch(entry["params"]), entry["key"], TrialState.RUNNING, step)
        for trial in new.values():
            self._put(trial)
        self.next_number = low
        self.step = max(self.step, step + 1)
        proposal = payload.get("proposal")
        if isinstance(proposal, Mapping):
            self.proposals.append({"step": step, "n": len(entries), **proposal})

    def _tell(self, payload: Mapping[str, Any], fail: Any) -> None:
        trial = self._trial(payload.get("number"), fail)
        if trial.state is not TrialState.RUNNING:
            raise fail(f"tells trial {trial.number}, which is already {trial.state.value}")
        try:
            state = TrialState(payload.get("state"))
        except ValueError:
            raise fail(f"has state {payload.get('state')!r}; use \"complete\", \"failed\" or \"stopped\"") from None
        if state is TrialState.RUNNING:
            raise fail("tells a trial that it is still running")
        values, cheap = payload.get("values", {}), payload.get("cheap", {})
        for name, numbers in (("values", values), ("cheap", cheap)):
            if not isinstance(numbers, Mapping) or any(as_real(v) is None for v in numbers.values()):
                raise fail(f"holds {name} that are not finite numbers: {numbers!r}")
        if state in (TrialState.COMPLETE, TrialState.STOPPED) and not values:
            raise fail(f"records a {state.value} trial without values")
        fidelity = payload.get("fidelity")
        if (state is TrialState.STOPPED) != (isinstance(fidelity, int) and not isinstance(fidelity, bool) and fidelity >= 1):
            raise fail("needs a fidelity (the step of its values, an integer >= 1) exactly when the trial is stopped")
        cache_of = payload.get("cache_of")
        if cache_of is not None:
            self._trial(cache_of, fail)
        attrs = payload.get("user_attrs", {})
        if not isinstance(attrs, Mapping):
            raise fail("holds user_attrs that are not an object")
        self._put(dataclasses.replace(
            trial, state=state, values=dict(values), cheap=dict(cheap), user_attrs={**trial.user_attrs, **attrs},
            error=payload.get("error"), cache_of=cache_of, duration_s=payload.get("duration_s"), fidelity=fidelity))


def replay(events: Iterable[tuple[int, str, Mapping[str, Any], float]], *, salvage: bool = False) -> StudyState:
    """The state after ``(seq, kind, payload, ts)`` events, from an empty study."""
    state = StudyState()
    for seq, kind, payload, ts in events:
        state.apply(seq, kind, payload, ts, salvage=salvage)
    return state
