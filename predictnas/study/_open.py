"""Creating and opening studies: ``create_study`` validates everything before a file exists;
``load_study`` opens one to continue or to read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from predictnas._version import __version__
from predictnas.exceptions import IncompatibleStudyFileError, InvalidSpecError, StudyError
from predictnas.spaces import SearchSpace
from predictnas.study._events import EventKind
from predictnas.study._records import proposer_record
from predictnas.study._storage import StudyFile
from predictnas.study._study import Event, Study
from predictnas.types import Objective, OutcomeConstraint, TrialState

if TYPE_CHECKING:
    from predictnas.proposers import Proposer


def create_study(
    *,
    space: SearchSpace | str,
    objectives: Mapping[str, str] | Sequence[Objective],
    storage: str | Path | None = None,
    seed: int = 0,
    proposer: str | Proposer = "bo",
    proposer_options: Mapping[str, Any] | None = None,
    constraints: Sequence[str] = (),
    name: str | None = None,
    budget: int | None = None,
    batch_size: int = 1,
    surrogate: Mapping[str, Any] | None = None,
    evaluator: Mapping[str, Any] | None = None,
    warm_start: Sequence[str | Path | Mapping[str, Any]] = (),
    load_if_exists: bool = False,
    stopper: str | None = None,
    stopper_options: Mapping[str, Any] | None = None,
    overwrite: bool = False,
) -> Study:
    """Creates a study (and its study file when ``storage`` is given). Everything is validated
    before the file is written: a failed create leaves nothing behind.

    Args:
        space: A ``SearchSpace`` (from a spec: ``load_space`` / ``space_from_spec``) or a built-in
            space name / spec path.
        objectives: ``{"acc": "maximize", "flops": "minimize"}`` or a list of ``Objective``.
        storage: Path of the SQLite study file; ``None`` keeps the study in memory.
        seed: Seed of every random step.
        proposer: ``"bo"`` (default: :class:`~predictnas.proposers.BayesOptProposer`),
            ``"nsga2-surrogate"``, ``"nsga2"``, ``"random"``, an entry point
            ``"package.module:Class"``, or a ``Proposer`` instance (see :func:`proposer_record`);
            ``proposer_options`` are the named proposer's keyword options.
        constraints: Outcome constraints such as ``"latency <= 5"``.
        name: Study name (default: the file stem or ``"study"``).
        budget: Total number of trials ``optimize()`` runs to by default.
        batch_size: Trials proposed per step by ``optimize()``.
        surrogate: ``{"name": "gp"|"xgboost"|"xgboost-quantile", "encoding": "tabular"|..., "assess_every": k}``:
            the model the default proposer searches with (and that diagnostics assess); with
            ``assess_every``, ``optimize()`` cross-validates it each time ``k`` more trials
            completed (from 10 on; ``0``: never) and stores the quality in the study file; unset,
            where it is cheap (every 25 completed trials whose evaluations took ten times the last
            assessment: never on a lookup table).
        evaluator: How to rebuild the evaluator on resume (set by study definitions).
        warm_start: Earlier study files on the same space whose results inform this study's
            surrogate and initial design: paths, or ``{"path": ..., "map": {new_objective:
            old_metric}}`` (objectives map by name otherwise). Their completed trials are copied
            into this study's file with the source path and a content hash (see
            :mod:`predictnas.study._warmstart`).
        load_if_exists: Load the existing file instead of failing when ``storage`` exists.
        overwrite: Replace an existing study file (e.g. after a first run with a wrong definition;
            its trials are deleted), once the new definition has been checked; refused while
            another process writes it.
        stopper: A stopping rule for trials that report intermediate results (``"asha"``, or an
            entry point ``"package.module:Class"``), with ``stopper_options``: ``should_stop``
            asks it (see :mod:`predictnas.stoppers`).
    """
    from predictnas.spaces import load_space

    storage = storage_path(storage)
    if load_if_exists and overwrite:
        raise InvalidSpecError("load_if_exists and overwrite exclude each other: keep the existing study or replace it.")
    replace = storage is not None and Path(storage).exists() and overwrite
    if storage is not None and Path(storage).exists() and not overwrite:
        if load_if_exists:
            return load_study(storage, proposer=None if isinstance(proposer, str) else proposer)
        raise StudyError(
            f"{storage}: a study file already exists ({_stored(storage)}); resume it with load_study() / `predictnas "
            "resume`, replace it with create_study(..., overwrite=True) / `predictnas run --overwrite` (what it holds is "
            "deleted), or choose another storage path."
        )
    space = load_space(space) if not isinstance(space, SearchSpace) else space
    if not space.spec:
        raise InvalidSpecError(f"Space {space.name!r} has no spec, so a study file could not rebuild it: build it with "
                               "load_space(...) or space_from_spec({...}) instead of SearchSpace(...).")
    objs = [Objective(k, v) for k, v in objectives.items()] if isinstance(objectives, Mapping) else list(objectives)
    if not all(isinstance(o, Objective) for o in objs):
        raise InvalidSpecError(f"objectives must name each metric's direction, e.g. {{\"acc\": \"maximize\", \"params\": "
                               f"\"minimize\"}} (Optuna's directions=[...] has no names); got {objectives!r}.")
    from predictnas._text import check_name

    for o in objs:
        check_name(o.name, "objective name")
    if name is not None:
        check_name(name, "study name")
    if len(objs) < 1 or len({o.name for o in objs}) != len(objs):
        raise InvalidSpecError(f"A study needs one or more objectives with distinct names; got {[o.name for o in objs]}.")
    parsed = [OutcomeConstraint.parse(c) for c in constraints]
    record = proposer_record(proposer, proposer_options)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise InvalidSpecError(f"seed must be a non-negative integer; got {seed!r}.")
    if budget is not None and (not isinstance(budget, int) or isinstance(budget, bool) or budget < 1):
        raise InvalidSpecError(f"budget must be a positive integer; got {budget!r}.")
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise InvalidSpecError(f"batch_size must be a positive integer; got {batch_size!r}.")
    definition = {
        "name": name or (Path(storage).stem if storage is not None else "study"),
        "seed": int(seed),
        "space": space.spec,
        "objectives": [{"name": o.name, "direction": o.direction, "cheap": o.cheap} for o in objs],
        "constraints": [str(c) for c in parsed],
        "proposer": record,
        "budget": budget,
        "batch_size": batch_size,
        "surrogate": _check_surrogate_settings(surrogate),
        "evaluator": dict(evaluator) if evaluator else None,
        **({"stopper": _stopper_record(stopper, stopper_options)} if stopper is not None else {}),
        "predictnas_version": __version__,
    }
    if warm_start:
        from predictnas.study._warmstart import warm_start_records

        definition["warm_start"] = warm_start_records(warm_start, space, objs,
                                                     open_study=lambda path: load_study(path, readonly=True))
    events: list[Event] = [(EventKind.CREATE.value, {"definition": definition})]
    instance = None if isinstance(proposer, str) else proposer
    Study(StudyFile(None, initial=events), proposer=instance).close()  # the definition must load, before any file exists
    if replace:
        _remove_study_file(Path(storage))
    if storage is not None:  # the user's own definition: what it names is approved for this file
        from predictnas.study._trust import approve

        approve(definition, storage)
    file = StudyFile(storage, create=storage is not None, initial=events)
    return Study(file, proposer=instance)


def _check_surrogate_settings(settings: Mapping[str, Any] | None) -> dict[str, Any] | None:
    from predictnas.encoders import ENCODERS
    from predictnas.surrogates import surrogate_class

    if settings is None:
        return None
    out = dict(settings)
    for key in out:
        if key not in ("name", "encoding", "assess_every"):
            raise InvalidSpecError(f"surrogate: unknown key {key!r}; use name, encoding, assess_every.")
    if "name" in out:
        surrogate_class(out["name"], where=f"surrogate.name = {out['name']!r}")
    if "encoding" in out:
        ENCODERS.resolve(out["encoding"], where=f"surrogate.encoding = {out['encoding']!r}")
    every = out.get("assess_every")
    if every is not None and (not isinstance(every, int) or isinstance(every, bool) or every < 0):
        raise InvalidSpecError(f"surrogate.assess_every must be an integer >= 0 (trials between assessments; 0: never); "
                               f"got {every!r}.")
    return out


def load_study(storage: str | Path, *, readonly: bool = False, salvage: bool = False,
               proposer: Proposer | None = None, trust: bool = False) -> Study:
    """Opens an existing study file to continue it (or to read it with ``readonly=True``).

    Args:
        salvage: Read-only: read a damaged file, skipping the damaged events and those that
            depend on them (``study.damage`` says where, ``study.lost`` what was skipped),
            instead of refusing it.
        proposer: Use this proposer instead of rebuilding the recorded one (needed when the
            study was created with a proposer instance that cannot be rebuilt).
        trust: Approve the code the file names (entry points, an import folder, a checkpoint
            outside its folder) and record the approval. Without it, a writable load of a file
            whose code you have not approved (one you received) raises ``UntrustedStudyError``
            naming that code; a read-only load never runs any (see :mod:`predictnas.study._trust`).

    Raises:
        StudyNotFoundError, IncompatibleStudyFileError, StudyLockedError, StudyWriteError: with a
            one-line reason.
    """
    file = StudyFile(storage_path(storage), readonly=readonly, salvage=salvage)
    try:
        return Study(file, proposer=proposer, trust=trust)
    except (KeyError, TypeError, InvalidSpecError) as exc:
        file.close()
        raise IncompatibleStudyFileError(f"{storage}: the study definition inside is invalid ({exc}).") from None
    except BaseException:
        file.close()
        raise


def _stopper_record(name: str, options: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the study file stores to rebuild the stopper (checked by building it once)."""
    from predictnas.stoppers import make_stopper

    if not isinstance(name, str):
        raise InvalidSpecError(f"stopper must be a name (\"asha\") or an entry point \"package.module:Class\"; got "
                               f"{type(name).__name__}.")
    make_stopper(name, options)
    return {"name": name, "options": dict(options or {})}


def storage_path(storage: str | Path | None) -> Path | None:
    """The study file a ``storage`` names: a path, or an SQLAlchemy-style ``sqlite:///path`` URL
    (Optuna's habit); any other URL is refused in one line instead of becoming a folder name."""
    if storage is None or isinstance(storage, Path):
        return storage
    if not isinstance(storage, str):
        raise InvalidSpecError(f"storage must be a file path or \"sqlite:///path\"; got {type(storage).__name__}.")
    if storage.startswith("sqlite:///"):
        return Path(storage[len("sqlite:///"):])
    if "://" in storage:
        raise InvalidSpecError(f"storage {storage!r}: a predictnas study is one SQLite file; give its path (or "
                               "\"sqlite:///path.db\"); server databases are not supported.")
    return Path(storage)


def _stored(storage: Path) -> str:
    """What an existing study file holds, for a message (``"12 trials, 9 complete"``)."""
    try:
        study = load_study(storage, readonly=True)
    except Exception as exc:  # noqa: BLE001 - a message only
        return f"not readable as a study: {type(exc).__name__}"
    trials = study.trials
    return f"{len(trials)} trials, {sum(t.state is TrialState.COMPLETE for t in trials)} complete"


def _remove_study_file(path: Path) -> None:
    """Deletes a study file and its SQLite side files while holding its writer lock (a file that
    another process writes is refused: ``StudyLockedError``)."""
    from predictnas.study._lock import WriterLock

    lock = WriterLock(path)
    lock.acquire()
    lock.lock_file(path)
    try:
        for suffix in ("", "-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                side.unlink()
    finally:
        lock.release()
