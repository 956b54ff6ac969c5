"""Reading declarative files (space specs, study definitions) with errors that name file and key."""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from predictnas.exceptions import InvalidSpecError

_RESERVED_TEXT = (",", "=", "|", "~", "+")  # characters architecture strings reserve


MAX_SPEC_BYTES = 1_000_000


def read_toml(path: Path) -> dict[str, Any]:
    """A spec or study definition file as a dict; anything unreadable is one ``InvalidSpecError``
    naming the file (not valid TOML or UTF-8, nested too deeply, larger than 1 MB)."""
    try:
        if path.stat().st_size > MAX_SPEC_BYTES:
            raise InvalidSpecError(f"is {path.stat().st_size:,} bytes; a spec may have at most {MAX_SPEC_BYTES:,}",
                                   source=str(path))
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidSpecError(f"is not valid TOML ({exc})", source=str(path)) from None
    except UnicodeDecodeError:
        raise InvalidSpecError("is not UTF-8 text", source=str(path)) from None
    except RecursionError:
        raise InvalidSpecError("is nested too deeply to read (arrays or tables inside each other)", source=str(path)) from None
    except OSError as exc:
        raise InvalidSpecError(f"cannot be read ({exc.strerror})", source=str(path)) from None


class SpecReader:
    """A spec dict with its key path: typed getters, and an error for any key not read."""

    def __init__(self, data: Any, source: str, path: str) -> None:
        self.source, self.path = source, path
        if not isinstance(data, Mapping):
            self.fail(f"must be a table (mapping); got {type(data).__name__} {data!r}")
        self.data: Mapping[str, Any] = data
        self._read: set[str] = set()

    def fail(self, message: str, key: str | None = None) -> None:
        path = ".".join(filter(None, (self.path, key))) or None
        raise InvalidSpecError(message, source=self.source, key=path)

    def child_path(self, key: str) -> str:
        return ".".join(filter(None, (self.path, key)))

    def get(self, key: str, types: type | tuple[type, ...], *, required: bool = False, default: Any = None) -> Any:
        self._read.add(key)
        if key not in self.data:
            if required:
                close = difflib.get_close_matches(key, [str(k) for k in self.data], n=1)
                hint = f" (found {close[0]!r}: a typo?)" if close else ""
                self.fail(f"missing required key {key!r}{hint}", None)
            return default
        value = self.data[key]
        if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
            self.fail(f"must be {_type_names(types)}; got {value!r}", key)
        if not isinstance(value, types):
            self.fail(f"must be {_type_names(types)}; got {type(value).__name__} {value!r}", key)
        return value

    def node(self, key: str, *, required: bool = False) -> SpecReader | None:
        value = self.get(key, (dict,), required=required)
        return None if value is None else SpecReader(value, self.source, self.child_path(key))

    def value_list(self, key: str, *, required: bool = True, default: Any = None, allow_empty: bool = False) -> list[Any] | None:
        """A list of scalar choices; empty only with ``allow_empty`` (an optional set, e.g. no identity op)."""
        if key not in self.data and not required:
            self._read.add(key)
            return default
        values = self.get(key, (list,), required=required, default=default)
        if values is None:
            return None
        if not values and not allow_empty:
            self.fail("is an empty list; give at least one choice", key)
        for v in values:
            if isinstance(v, (list, dict)):
                self.fail(f"choices must be numbers, strings or booleans; got {v!r}", key)
            if isinstance(v, str) and any(ch in v for ch in _RESERVED_TEXT):
                self.fail(f"choice {v!r} contains one of {list(_RESERVED_TEXT)}, which architecture strings reserve", key)
        if len({(type(v).__name__, v) for v in values}) != len(values):
            self.fail(f"has duplicate choices {values!r}", key)
        return values

    def done(self) -> None:
        unknown = sorted(set(self.data) - self._read)
        if unknown:
            self.fail(f"unknown key(s) {unknown}; allowed here: {sorted(self._read)}")


def _type_names(types: type | tuple[type, ...]) -> str:
    names = {int: "an integer", str: "a string", list: "a list", dict: "a table", float: "a number", bool: "a boolean"}
    return " or ".join(names.get(t, t.__name__) for t in (types if isinstance(types, tuple) else (types,)))


def key_values(items: Iterable[str], *, where: str) -> dict[str, Any]:
    """``KEY=VALUE`` items -> ``{key: value}``; a value is JSON (``4``, ``0.5``, ``true``, ``null``,
    ``"x"``) or else a bare string. ``where`` starts the error for an item without ``=``."""
    import json

    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidSpecError(f"{where}: {item!r} must look like KEY=VALUE (e.g. n_initial=6).")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value.strip()
    return out
