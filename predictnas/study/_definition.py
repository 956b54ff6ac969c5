"""Declarative study definitions (``studies/*.toml``) and rebuilding evaluators on resume.

Relative paths resolve against the definition's own folder; ``${VAR}`` and ``${VAR:-default}``
expand from the environment (e.g. ``${PREDICTNAS_DATA_DIR:-../../shared/benchdata}``). A function
evaluator's module may sit beside the definition: its folder is put on ``sys.path`` (on ``run``
and on ``resume``, and in local worker processes).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from predictnas._validation import SpecReader, read_toml
from predictnas.evaluators import Evaluator, build_evaluator, read_evaluator
from predictnas.exceptions import InvalidSpecError
from predictnas.spaces import SearchSpace, load_space
from predictnas.study._open import create_study
from predictnas.study._study import Study
from predictnas.types import Objective

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand(text: str) -> str:
    """Expands ``${VAR}`` / ``${VAR:-default}``; an unset variable without default is an error."""

    def sub(m: re.Match[str]) -> str:
        value = os.environ.get(m.group(1))
        if value is None:
            if m.group(2) is None:
                raise InvalidSpecError(f"{text!r} uses ${{{m.group(1)}}}, which is not set; set it or add a default.")
            return m.group(2)
        return value

    return _VAR.sub(sub, text)


def _resolve(base: Path, text: str) -> Path:
    path = Path(expand(text)).expanduser()
    return path if path.is_absolute() else (base / path).resolve()


def run_definition(
    path: str | Path,
    *,
    storage: str | Path | None = None,
    budget: int | None = None,
    seed: int | None = None,
    table: str | Path | None = None,
    proposer: str | None = None,
    proposer_options: dict[str, Any] | None = None,
    batch_size: int | None = None,
    show_progress: bool = False,
    overwrite: bool = False,
) -> tuple[Study, Evaluator]:
    """Creates the study a definition file describes and its evaluator (command-line overrides
    win: ``proposer`` replaces the definition's proposer and its options, ``proposer_options``
    are added to them; ``overwrite`` replaces an existing study file, see :func:`create_study`)."""
    path = Path(path)
    if not path.is_file():
        raise InvalidSpecError(f"Study definition {str(path)!r} does not exist.")
    raw = read_toml(path)
    base = path.resolve().parent
    root = SpecReader(raw, str(path), "")
    if root.get("schema_version", int, required=True) != 1:
        root.fail("schema_version must be 1", "schema_version")
    if root.get("kind", str, required=True) != "study":
        root.fail("must be \"study\" for a study definition", "kind")
    name = root.get("name", str, required=True)
    space_ref = root.get("space", str, required=True)
    space = _load_space_ref(space_ref, base, root)
    objectives = _objectives(root)
    constraints = root.get("constraints", list, default=[])
    node = root.node("proposer")
    proposer_name, options = "bo", {}
    if node is not None:
        proposer_name = node.get("name", str, default="bo")
        options = dict(node.get("options", dict, default={}))
        node.done()
    if proposer is not None and proposer != proposer_name:
        proposer_name, options = proposer, {}
    options.update(proposer_options or {})
    surrogate_node = root.node("surrogate")
    surrogate = None
    if surrogate_node is not None:
        surrogate = {"name": surrogate_node.get("name", str, default="gp"),
                     "encoding": surrogate_node.get("encoding", str, default="tabular")}
        every = surrogate_node.get("assess_every", int, default=None)
        if every is not None:
            surrogate["assess_every"] = every
        surrogate_node.done()
    stopper_node = root.node("stopper")  # e.g. [stopper] name = "asha", options = { eta = 3, max_step = 30 }
    stopper, stopper_options = None, None
    if stopper_node is not None:
        stopper = stopper_node.get("name", str, default="asha")
        stopper_options = dict(stopper_node.get("options", dict, default={}))
        stopper_node.done()
        from predictnas.stoppers import make_stopper

        try:  # checked here, so that a bad option names this file and key
            make_stopper(stopper, stopper_options)
        except InvalidSpecError as exc:
            stopper_node.fail(str(exc), "options")
    warm_start = [_warm_start_entry(entry, base, root, i) for i, entry in enumerate(root.get("warm_start", list, default=[]))]
    study_budget = root.get("budget", int, required=True)
    study_batch = root.get("batch_size", int, default=1)
    study_seed = root.get("seed", int, default=0)
    storage_text = root.get("storage", str, default=f"{name}.db")
    evaluator_node = root.node("evaluator", required=True)
    assert evaluator_node is not None
    if table is not None and evaluator_node.data.get("type") == "table":  # --table replaces the definition's path
        evaluator_node = SpecReader({**evaluator_node.data, "path": str(Path(table).resolve())}, evaluator_node.source,
                                    evaluator_node.path)
    config = read_evaluator(evaluator_node, lambda text: _resolve(base, text))
    if config["type"] == "table":  # a cheap objective of a table is a lookup: known before evaluation
        config["cheap"] += [o.name for o in objectives if o.cheap and o.name not in config["cheap"]]
    root.done()
    evaluator = build_evaluator(config, space, show_progress=show_progress)
    storage_path = Path(storage) if storage is not None else _resolve(base, storage_text)
    study = create_study(
        space=space, objectives=objectives, storage=storage_path,
        seed=study_seed if seed is None else seed, proposer=proposer_name, proposer_options=options,
        constraints=constraints, name=name, budget=study_budget if budget is None else budget,
        batch_size=study_batch if batch_size is None else batch_size, surrogate=surrogate, evaluator=config,
        warm_start=warm_start, stopper=stopper, stopper_options=stopper_options, overwrite=overwrite,
    )
    return study, evaluator


def _warm_start_entry(entry: Any, base: Path, root: SpecReader, i: int) -> dict[str, Any]:
    """``"c10.db"`` or ``{ path = "c10.db", map = { latency = "flops" } }``, paths relative to the definition."""
    if isinstance(entry, str):
        return {"path": str(_resolve(base, entry))}
    if not isinstance(entry, dict):
        root.fail(f"entries must be study file paths or {{ path = ..., map = {{...}} }}; got {entry!r}", f"warm_start[{i}]")
    node = SpecReader(entry, root.source, root.child_path(f"warm_start[{i}]"))
    out = {"path": str(_resolve(base, node.get("path", str, required=True)))}
    mapping = node.get("map", dict, default=None)
    if mapping is not None:
        out["map"] = {str(k): str(v) for k, v in mapping.items()}
    node.done()
    return out


def _load_space_ref(ref: str, base: Path, root: SpecReader) -> SearchSpace:
    candidate = base / ref
    try:
        return load_space(candidate if ref.endswith(".toml") and candidate.exists() else ref)
    except InvalidSpecError as exc:
        if exc.source is None:  # unknown name: point at the key
            root.fail(str(exc), "space")
        raise


def _objectives(root: SpecReader) -> list[Objective]:
    node = root.node("objectives", required=True)
    assert node is not None
    out = []
    for oname in node.data:
        value = node.get(oname, (str, dict), required=True)
        if isinstance(value, str):
            direction, cheap = value, False
        else:
            sub = SpecReader(value, node.source, node.child_path(oname))
            direction = sub.get("direction", str, required=True)
            cheap = sub.get("cheap", bool, default=False)
            sub.done()
        if direction not in ("minimize", "maximize"):
            node.fail(f"direction must be \"minimize\" or \"maximize\"; got {direction!r}", oname)
        out.append(Objective(oname, direction, cheap))  # type: ignore[arg-type]
    node.done()
    if not out:
        node.fail("needs at least one objective, e.g. acc = \"maximize\"")
    return out
