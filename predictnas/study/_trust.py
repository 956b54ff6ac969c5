"""What a study file may make predictnas do: the code it names runs only once the user approved it.

A study file is data, like a CSV. Reading one (``status``, ``export``, ``report``, ``repair``,
``load_study(readonly=True)``) parses SQLite and JSON and nothing else: no proposer is built, no
module imported, nothing the file names is called or written. Resuming one runs code, so the
*code manifest* of its definition must be approved first:

- an entry point ``"package.module:Name"`` anywhere in the proposer, surrogate or evaluator
  settings (a proposer class, a function evaluator, a supernet factory, a zero-cost proxy);
- a folder the evaluator puts on ``sys.path``;
- a supernet checkpoint outside the study file's folder (it would be written there).

Registered names (``"bo"``, ``"mnist1d_cnn"``, ``"synflow"``) are predictnas's own code and need no
approval. A manifest is approved by the user's own ``create_study`` / ``predictnas run`` (which wrote
it) or explicitly (``load_study(path, trust=True)`` / ``predictnas resume --trust``); the approval is
recorded outside the file, in the trust store (``$PREDICTNAS_TRUST_STORE``, default
``$XDG_STATE_HOME/predictnas/trusted.json``), as the SHA-256 of the study file's real path and its
manifest, the way ``direnv allow`` records an ``.envrc``. Editing the file to name other code, or
moving it, voids the approval. The file's checksums detect accidents only (anyone can recompute
them), so nothing here relies on them.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from predictnas.exceptions import UntrustedStudyError

logger = logging.getLogger("predictnas.study")

_ENTRY_POINT = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
_CODE_KEYS = ("proposer", "surrogate", "evaluator", "stopper")  # the parts of a definition that name code


@dataclass(frozen=True)
class CodeItem:
    """One thing a study file asks to run or write: ``kind`` (``"entry point"``, ``"import folder"``,
    ``"writes"``) and the ``value`` it names, with ``where`` it sits in the definition."""

    kind: str
    value: str
    where: str

    def __str__(self) -> str:
        return f"{self.kind} {self.value!r} ({self.where})"


def code_manifest(definition: Mapping[str, Any], study_path: str | os.PathLike[str] | None) -> list[CodeItem]:
    """Everything the definition of a study file at ``study_path`` asks to import, put on
    ``sys.path`` or write outside the study's folder, in definition order."""
    items: list[CodeItem] = []
    for key in _CODE_KEYS:
        for where, text in _strings(definition.get(key), key):
            if _ENTRY_POINT.match(text):
                items.append(CodeItem("entry point", text, where))
    evaluator = definition.get("evaluator")
    if isinstance(evaluator, Mapping):
        folder = evaluator.get("folder")
        if isinstance(folder, str) and folder and evaluator.get("type") in ("function", "supernet", "training"):
            items.append(CodeItem("import folder", folder, "evaluator.folder"))
        checkpoint = evaluator.get("checkpoint")
        if isinstance(checkpoint, str) and checkpoint and not _inside(checkpoint, study_path):
            items.append(CodeItem("writes", checkpoint, "evaluator.checkpoint"))
    return items


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            yield from _strings(v, f"{where}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from _strings(v, f"{where}[{i}]")


def _inside(path: str, study_path: str | os.PathLike[str] | None) -> bool:
    if study_path is None:
        return False
    folder = Path(study_path).resolve().parent
    return Path(path).resolve().is_relative_to(folder)  # a relative path is written relative to the working folder


def trust_store_path() -> Path:
    """``$PREDICTNAS_TRUST_STORE``, else ``$XDG_STATE_HOME/predictnas/trusted.json`` (default
    ``~/.local/state``)."""
    explicit = os.environ.get("PREDICTNAS_TRUST_STORE")
    if explicit:
        return Path(explicit).expanduser()
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "predictnas" / "trusted.json"


def _digest(study_path: str | os.PathLike[str], items: list[CodeItem]) -> str:
    record = {"path": str(Path(study_path).resolve()), "items": [[i.kind, i.value, i.where] for i in items]}
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()


def _read_store(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    approved = data.get("approved") if isinstance(data, dict) else None
    return approved if isinstance(approved, dict) else {}


def is_approved(definition: Mapping[str, Any], study_path: str | os.PathLike[str]) -> bool:
    """Whether the study file's manifest is empty or approved in the trust store."""
    items = code_manifest(definition, study_path)
    return not items or _digest(study_path, items) in _read_store(trust_store_path())


def approve(definition: Mapping[str, Any], study_path: str | os.PathLike[str]) -> None:
    """Records the study file's manifest as approved (best effort: a trust store that cannot be
    written is logged, and the next resume asks again)."""
    items = code_manifest(definition, study_path)
    if not items:
        return
    store = trust_store_path()
    try:
        store.parent.mkdir(parents=True, exist_ok=True)
        with open(store.with_name(store.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            approved = _read_store(store)
            approved[_digest(study_path, items)] = {"path": str(Path(study_path).resolve()), "approved_at": time.time(),
                                                    "items": [str(i) for i in items]}
            tmp = store.with_name(f".{store.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"version": 1, "approved": approved}, indent=1), encoding="utf-8")
            os.replace(tmp, store)
    except OSError as exc:
        logger.warning("could not record the approval of %s in the trust store %s (%s); resuming it will ask again",
                       study_path, store, exc.strerror or exc)


def require_approved(definition: Mapping[str, Any], study_path: str | os.PathLike[str], *, trust: bool,
                     skip_proposer: bool = False) -> None:
    """Returns when the study file may run what it names; ``trust=True`` approves (and records) it.

    Raises:
        UntrustedStudyError: naming every unapproved item and how to approve them.
    """
    items = [i for i in code_manifest(definition, study_path) if not (skip_proposer and i.where.startswith("proposer"))]
    if not items:
        return
    if trust:
        approve(definition, study_path)
        return
    if is_approved(definition, study_path):
        return
    listing = "; ".join(str(i) for i in items)
    raise UntrustedStudyError(
        f"{study_path}: resuming it would run code or write files that this file names and you have not approved "
        f"for it: {listing}. Nothing was loaded. If you trust whoever wrote the file, resume with `predictnas resume "
        f"--trust` (Python: load_study(path, trust=True)); `predictnas status` reads it safely."
    )
