"""Loading declarative space specs (TOML files in ``encodings/``, or dicts) into ``SearchSpace``.

Every problem raises one ``InvalidSpecError`` naming the file, the key path and the fix.
The format is documented in ``encodings/README.md``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from predictnas._validation import SpecReader as _Node
from predictnas._validation import read_toml
from predictnas.exceptions import ExpressionError, InvalidArchitectureError, InvalidSpecError
from predictnas.spaces._cell import CellStructure
from predictnas.spaces._expr import Expression
from predictnas.spaces._members import MAX_MEMBERS, Members
from predictnas.spaces._params import Param, integer_choices
from predictnas.spaces._space import ENUMERATION_LIMIT, Constraint, SearchSpace, Stage

SCHEMA_VERSION = 1
_SATISFIABILITY_SAMPLES = 5_000
# -- locating specs -----------------------------------------------------------------------------
def spec_dirs() -> list[Path]:
    """Folders holding the built-in specs: the wheel's copy, then a source checkout's ``encodings/``."""
    dirs = []
    try:
        packaged = Path(str(resources.files("predictnas") / "_specs"))
        dirs.append(packaged)
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - odd importers
        pass
    dirs.append(Path(__file__).resolve().parents[2] / "encodings")
    return [d for d in dirs if d.is_dir()]


def list_spaces() -> list[str]:
    """Names of the built-in space specs."""
    names = set()
    for d in spec_dirs():
        names.update(p.stem for p in d.glob("*.toml"))
    return sorted(names)


def resolve_spec_path(name_or_path: str | Path) -> Path:
    text = str(name_or_path)
    path = Path(text)
    if path.suffix == ".toml" or path.exists() or "/" in text:
        if not path.is_file():
            raise InvalidSpecError(
                f"Space spec file {text!r} does not exist; built-in spaces: {list_spaces()}."
            )
        return path
    for d in spec_dirs():
        candidate = d / f"{text}.toml"
        if candidate.is_file():
            return candidate
    raise InvalidSpecError(f"Unknown space {text!r}; built-in spaces: {list_spaces()}, or give a path to a .toml spec.")


def load_space(name_or_path: str | Path | Mapping[str, Any]) -> SearchSpace:
    """Loads a search space from a built-in name (``"nb201"``), a ``.toml`` path, or a spec dict.

    Raises:
        InvalidSpecError: one clear error naming the file, key path and fix.
    """
    if isinstance(name_or_path, Mapping):
        return space_from_spec(name_or_path, source="<dict>")
    path = resolve_spec_path(name_or_path)
    return space_from_spec(read_toml(path), source=str(path))


# -- building -------------------------------------------------------------------------------------
def space_from_spec(spec: Mapping[str, Any], *, source: str = "<dict>") -> SearchSpace:
    root = _Node(spec, source, "")
    version = root.get("schema_version", int, required=True)
    if version != SCHEMA_VERSION:
        root.fail(f"schema_version {version} is not supported; this predictnas reads version {SCHEMA_VERSION}", "schema_version")
    kind = root.get("kind", str, required=True)
    if kind != "space":
        root.fail(f"must be \"space\" for a search-space spec; got {kind!r}", "kind")
    name = root.get("name", str, required=True)
    root.get("description", str)
    params: list[Param] = []
    cell = None
    stages: list[Stage] = []

    params_node = root.node("params")
    if params_node is not None:
        for pname in params_node.data:
            params.append(_plain_param(params_node, pname, params))
        params_node.done()
    cell_node = root.node("cell")
    if cell_node is not None:
        cell, cell_params = _cell(cell_node, params)
        params += cell_params
    macro_node = root.node("macro")
    if macro_node is not None:
        stages, macro_params = _macro(macro_node, params)
        params += macro_params
    if not params:
        root.fail("defines no parameters; add [params.NAME], [cell] or [macro]")
    names = [p.name for p in params]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        root.fail(f"parameter name(s) {dupes} are defined twice; rename them")
    if cell is not None and cell.string_format == "nb201" and len(params) != len(cell.edges):
        root.fail("string_format = \"nb201\" needs a cell-only space with a fixed edge list", "cell.string_format")

    constraints = _constraints(root, params)
    raw_members = root.get("members", list)
    root.done()
    space = SearchSpace(name=name, params=params, constraints=constraints, cell=cell, stages=stages, spec=spec, source=source)
    if raw_members is not None:
        space = SearchSpace(name=name, params=params, constraints=constraints, cell=cell, stages=stages, spec=spec,
                            source=source, members=_members(space, raw_members, root))
    _check_satisfiable(space, root)
    return space


def restrict(space: SearchSpace, archs: Sequence[Mapping[str, Any]]) -> SearchSpace:
    """``space`` cut down to ``archs``: a finite space whose spec lists them as ``members`` (so a
    study file rebuilds it), e.g. the rows of a benchmark table."""
    return space_from_spec({**space.spec, "members": [space.make_arch(a).to_dict() for a in archs]}, source=space.source)


def _members(base: SearchSpace, rows: list, root: _Node) -> Members:
    """A finite space's members (``members = [{param = value, ...}, ...]``): each a valid
    architecture of ``base``; repeats of one canonical key are kept once."""
    if not rows:
        root.fail("lists no members; leave 'members' out, or list at least one architecture", "members")
    if len(rows) > MAX_MEMBERS:
        root.fail(f"lists {len(rows):,} members; a spec may list at most {MAX_MEMBERS:,}", "members")
    archs, keys, seen = [], [], set()
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            root.fail(f"must be a table of parameter = value; got {row!r}", f"members[{i}]")
        try:
            arch = base.make_arch(row)
        except InvalidArchitectureError as exc:
            root.fail(str(exc), f"members[{i}]")
        key = base.canonical_key(arch)
        if key not in seen:
            seen.add(key)
            archs.append(arch)
            keys.append(key)
    return Members(archs, keys, base.param_names)


MAX_CELL_NODES = 16  # NAS cells have 4-7; a 60-node cell made every proposal step take minutes
MAX_CHOICES = 1_000  # per parameter: wider ranges are not architecture choices (and would stall the pools)


def _plain_param(node: _Node, pname: str, earlier: list[Param]) -> Param:
    if not pname.isidentifier():
        node.fail(f"parameter name {pname!r} must be an identifier (letters, digits, _)", pname)
    p = node.node(pname, required=True)
    assert p is not None
    kind = p.get("type", str, default="categorical")
    if kind in ("categorical", "ordinal"):
        choices = tuple(p.value_list("choices") or ())  # ordinal strings keep their list order
        if len(choices) > MAX_CHOICES:
            p.fail(f"has {len(choices):,} choices; a parameter may have at most {MAX_CHOICES:,}", "choices")
    elif kind == "integer":
        low = p.get("low", int, required=True)
        high = p.get("high", int, required=True)
        step = p.get("step", int, default=1)
        if step < 1 or high < low:
            p.fail(f"needs low <= high and step >= 1; got low={low}, high={high}, step={step}")
        if (high - low) // step + 1 > MAX_CHOICES:
            p.fail(f"has {(high - low) // step + 1:,} values (low={low}, high={high}, step={step}); a parameter may have at "
                   f"most {MAX_CHOICES:,}: use a larger step")
        choices = integer_choices(low, high, step)
    else:
        p.fail(f"unknown type {kind!r}; use \"categorical\", \"ordinal\" or \"integer\"", "type")
        raise AssertionError  # unreachable
    active_if = _expression(p, "active_if", [q.name for q in earlier], required=False)
    p.done()
    return Param(pname, "ordinal" if kind == "integer" else kind, choices, active_if)  # type: ignore[arg-type]


def _expression(node: _Node, key: str, names: list[str], *, required: bool) -> Expression | None:
    text = node.get(key, str, required=required)
    if text is None:
        return None
    try:
        return Expression(text, names=names)
    except ExpressionError as exc:
        hint = " (conditions may refer only to parameters defined before this one)" if "unknown parameter" in str(exc) else ""
        node.fail(f"{exc}{hint}", key)
        raise AssertionError from None  # unreachable


def _cell(node: _Node, earlier: list[Param]) -> tuple[CellStructure, list[Param]]:
    n_nodes = node.get("nodes", int, required=True)
    if n_nodes < 2:
        node.fail(f"must be at least 2 (input and output); got {n_nodes}", "nodes")
    if n_nodes > MAX_CELL_NODES:
        node.fail(f"is {n_nodes}; a cell may have at most {MAX_CELL_NODES} nodes (deeper cells are stacks of cells: "
                  "repeat a smaller cell in the network instead)", "nodes")
    ops = tuple(node.value_list("ops") or ())
    if not all(isinstance(o, str) for o in ops):
        node.fail("ops must be strings", "ops")
    zero = node.value_list("zero_ops", required=False, default=[], allow_empty=True) or []
    identity = node.value_list("identity_ops", required=False, default=[], allow_empty=True) or []
    for key, group in (("zero_ops", zero), ("identity_ops", identity)):
        if not set(group) <= set(ops):
            node.fail(f"{sorted(set(group) - set(ops))} are not in ops {list(ops)}", key)
    string_format = node.get("string_format", str, default="params")
    if string_format not in ("params", "nb201"):
        node.fail(f"unknown string_format {string_format!r}; use \"params\" or \"nb201\"", "string_format")
    edges_spec = node.get("edges", (str, list))
    inputs = node.node("inputs")
    if (edges_spec is None) == (inputs is None):
        node.fail("give exactly one of 'edges' (fixed edges, an op each) or [cell.inputs] (input-node choices)")
    out = n_nodes - 1
    params: list[Param] = []
    if edges_spec is not None:
        template = node.get("param", str, default="op_{src}_{dst}")
        if edges_spec == "all":
            pairs = [(s, d) for d in range(1, n_nodes) for s in range(d)]
        elif isinstance(edges_spec, list):
            pairs = []
            for i, e in enumerate(edges_spec):
                if not (isinstance(e, list) and len(e) == 2 and all(isinstance(x, int) and not isinstance(x, bool) for x in e)):
                    node.fail(f"edge {e!r} must be a pair [src, dst] of node numbers", f"edges[{i}]")
                s, d = e
                if not (0 <= s < n_nodes and 0 <= d < n_nodes):
                    node.fail(f"edge {e!r} names a node outside 0..{out}", f"edges[{i}]")
                if s >= d:
                    node.fail(f"edge {e!r} goes from node {s} back to node {d}, which makes a cycle; "
                              "edges must go from a lower-numbered to a higher-numbered node", f"edges[{i}]")
                pairs.append((s, d))
            if len(set(pairs)) != len(pairs):
                node.fail("lists the same edge twice", "edges")
        else:
            node.fail(f"must be \"all\" or a list of [src, dst] pairs; got {edges_spec!r}", "edges")
        _check_connected(node, pairs, n_nodes)
        edges = []
        for s, d in pairs:
            pname = _format(node, "param", template, src=s, dst=d)
            edges.append((s, d, pname))
            params.append(Param(pname, "categorical", ops, role="cell_op"))
        cell = CellStructure(n_nodes, ops, frozenset(zero), frozenset(identity), edges=tuple(edges), string_format=_fmt(string_format))
    else:
        assert inputs is not None
        if string_format == "nb201":
            node.fail("string_format \"nb201\" needs a fixed edge list", "string_format")
        per_node = inputs.get("per_node", int, default=2)
        if per_node < 1:
            inputs.fail(f"must be >= 1; got {per_node}", "per_node")
        in_t = inputs.get("input_param", str, default="in_{node}_{slot}")
        op_t = inputs.get("op_param", str, default="op_{node}_{slot}")
        inputs.done()
        if n_nodes < 3:
            node.fail("an input-choice cell needs at least 3 nodes (input, one intermediate, output)", "nodes")
        slots = []
        for dst in range(1, out):
            for slot in range(per_node):
                in_p = _format(inputs, "input_param", in_t, node=dst, slot=slot)
                op_p = _format(inputs, "op_param", op_t, node=dst, slot=slot)
                slots.append((dst, in_p, op_p))
                params.append(Param(in_p, "categorical", tuple(range(dst)), role="cell_input"))
                params.append(Param(op_p, "categorical", ops, role="cell_op"))
        cell = CellStructure(n_nodes, ops, frozenset(zero), frozenset(identity), slots=tuple(slots), string_format=None)
    node.done()
    return cell, params


def _fmt(string_format: str) -> str | None:
    return None if string_format == "params" else string_format


def _format(owner: _Node, key: str, template: str, **fields: object) -> str:
    try:
        name = template.format(**fields)
    except (KeyError, IndexError, ValueError) as exc:
        owner.fail(f"template {template!r} may use only {{{'}, {'.join(fields)}}}; failed on {exc}", key)
        raise AssertionError from None
    if not name.isidentifier():
        owner.fail(f"template {template!r} gives {name!r}, which is not an identifier", key)
    return name


def _check_connected(node: _Node, pairs: list[tuple[int, int]], n_nodes: int) -> None:
    reach = {0}
    for s, d in sorted(pairs, key=lambda e: e[1]):
        if s in reach:
            reach.add(d)
    if n_nodes - 1 not in reach:
        node.fail(f"no edge path leads from the input node 0 to the output node {n_nodes - 1}", "edges")


def _macro(node: _Node, earlier: list[Param]) -> tuple[list[Stage], list[Param]]:
    depth_t = node.get("depth_param", str, default="{stage}_depth")
    layer_t = node.get("layer_param", str, default="{stage}_l{layer}_{name}")
    stage_t = node.get("stage_param", str, default="{stage}_{name}")
    default_depth = node.value_list("depth", required=False)
    default_layer = node.node("layer")
    stages_spec = node.get("stages", (int, list), required=True)
    stage_nodes: list[tuple[str, list[Any] | None, _Node | None, _Node, _Node | None]] = []
    if isinstance(stages_spec, int):
        if stages_spec < 1:
            node.fail(f"must be >= 1; got {stages_spec}", "stages")
        stage_nodes = [(f"s{i + 1}", None, None, node, None) for i in range(stages_spec)]
    else:
        if not stages_spec:
            node.fail("is an empty list; give at least one stage", "stages")
        for i, raw in enumerate(stages_spec):
            s = _Node(raw, node.source, node.child_path(f"stages[{i}]"))
            sname = s.get("name", str, default=f"s{i + 1}")
            stage_nodes.append((sname, s.value_list("depth", required=False), s.node("layer"), s, s.node("params")))
    params: list[Param] = []
    stages: list[Stage] = []
    for sname, depth, layer_node, owner, stage_node in stage_nodes:
        depth = depth or default_depth
        if depth is None:
            owner.fail("needs a depth choice list (here or as macro.depth)", "depth")
        if not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in depth):  # type: ignore[union-attr]
            owner.fail(f"depth choices must be non-negative integers; got {depth!r}", "depth")
        layer = layer_node or default_layer
        if layer is None:
            owner.fail("needs per-layer choices (a [layer] table here or [macro.layer])", "layer")
        assert layer is not None and depth is not None
        choices = {k: tuple(layer.value_list(k) or ()) for k in layer.data}
        if not choices:
            layer.fail("is empty; give at least one per-layer choice list (e.g. kernel = [3, 5, 7])")
        depth_name = _format(node, "depth_param", depth_t, stage=sname)
        params.append(Param(depth_name, "ordinal", tuple(sorted(depth)), role="depth"))
        if stage_node is not None:  # per-stage choices (e.g. width): irrelevant, so inactive, when the stage is skipped
            skipped = None if min(depth) > 0 else Expression(f"{depth_name} >= 1", names=[depth_name])
            for cname in stage_node.data:
                cvals = tuple(stage_node.value_list(cname) or ())
                numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in cvals)
                params.append(Param(_format(node, "stage_param", stage_t, stage=sname, name=cname),
                                    "ordinal" if numeric else "categorical", cvals, skipped))
            stage_node.done()
        layers = []
        for li in range(max(depth)):
            names = {}
            cond = None if li < min(depth) else Expression(f"{depth_name} >= {li + 1}", names=[depth_name])
            for cname, cvals in choices.items():
                pname = _format(node, "layer_param", layer_t, stage=sname, layer=li, name=cname)
                numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in cvals)
                params.append(Param(pname, "ordinal" if numeric else "categorical", cvals, cond, role="layer"))
                names[cname] = pname
            layers.append(names)
        stages.append(Stage(sname, depth_name, tuple(layers)))
        if owner is not node:
            if layer_node is not None:
                layer_node.done()
            owner.done()
    if default_layer is not None:
        default_layer.done()
    node.done()
    return stages, params


def _constraints(root: _Node, params: list[Param]) -> list[Constraint]:
    raw = root.get("constraints", list, default=[])
    names = [p.name for p in params]
    out = []
    for i, item in enumerate(raw):
        c = _Node(item, root.source, f"constraints[{i}]")
        message = c.get("message", str)
        if "expr" in c.data:
            expr = _expression(c, "expr", names, required=True)
            assert expr is not None
            out.append(Constraint(message or repr(expr.source), expr=expr))
        elif "allowed" in c.data:
            cparams = c.get("params", list, required=True)
            for p in cparams:
                if p not in names:
                    c.fail(f"unknown parameter {p!r}; known: {names}", "params")
            allowed = c.get("allowed", list, required=True)
            rows = set()
            for j, row in enumerate(allowed):
                if not (isinstance(row, list) and len(row) == len(cparams)):
                    c.fail(f"each allowed row must list {len(cparams)} value(s) (one per param); got {row!r}", f"allowed[{j}]")
                coerced = []
                for p, v in zip(cparams, row):
                    param = params[names.index(p)]
                    try:
                        coerced.append(param.coerce(v))
                    except KeyError:
                        c.fail(f"{v!r} is not a choice of {p!r} ({list(param.choices)})", f"allowed[{j}]")
                rows.add(tuple(coerced))
            out.append(Constraint(message or f"({', '.join(cparams)}) in the allowed list", params=tuple(cparams), allowed=frozenset(rows)))
        else:
            c.fail("needs 'expr' (an expression) or 'params' + 'allowed' (a whitelist)")
        c.done()
    return out


def _check_satisfiable(space: SearchSpace, root: _Node) -> None:
    if not space.constraints:
        return
    if space.raw_size() <= ENUMERATION_LIMIT:
        if next(iter(space.enumerate()), None) is not None:
            return
        checked = "every architecture"
    else:
        rng = np.random.default_rng(0)
        corners = [space._complete({p.name: p.choices[i] for p in space.params}, None) for i in (0,)]
        corners.append(space._complete({p.name: p.choices[-1] for p in space.params}, None))
        candidates = itertools.chain(corners, (space._complete({}, rng) for _ in range(_SATISFIABILITY_SAMPLES)))
        if any(space._feasible(v) for v in candidates):
            return
        checked = f"the smallest, the largest and {_SATISFIABILITY_SAMPLES} random architectures"
    root.fail(
        f"no architecture satisfies the constraints ({'; '.join(c.description for c in space.constraints)}): "
        f"checked {checked}; relax them",
        "constraints",
    )
