"""The house rules of ARCHITECTURE.md, checked on the source: imports only go down the floors (no
upward arrow, no circle), the command line uses public names only, and no module grows past 450
lines. Imports under ``if TYPE_CHECKING:`` are annotations, not arrows, and are left out."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "predictnas"

#: Floors, bottom to top (ARCHITECTURE.md). A module may import its own room and lower floors.
FLOORS = [
    {"exceptions", "_version"},
    {"_validation", "_text", "_registry", "_determinism", "pareto"},
    {"spaces"},
    {"types"},
    {"encoders", "evaluators"},
    {"surrogates", "executors", "supernets"},
    {"proposers", "stoppers", "latency"},
    {"study"},
    {"report", "bench", "interop"},
    {"_demo", "examples", "testing", "_cli_latency", "_cli_bench"},
    {"cli"},
    {"__main__", "__init__"},
]
MAX_LINES = 450


def _module(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _room(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports():
    """``{module: {(imported module, line)}}`` of runtime imports inside the package."""
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    out = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
                       for b in node.body for n in ast.walk(b)}
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            else:
                continue
            for target in targets:
                while target not in modules and "." in target:
                    target = target.rpartition(".")[0]
                if target in modules and target != name and target.startswith("predictnas"):
                    found.add((target, node.lineno))
        out[name] = found
    return out


def _floor(room):
    return next(i for i, rooms in enumerate(FLOORS) if room in rooms)


def test_every_room_has_a_floor():
    rooms = {_room(m) for m in _imports()}
    assert rooms <= set().union(*FLOORS), f"rooms without a floor in FLOORS / ARCHITECTURE.md: {rooms - set().union(*FLOORS)}"


def test_imports_only_go_down_the_floors():
    upward = [f"{m} -> {t} (line {line}): floor {_floor(_room(m))} imports floor {_floor(_room(t))}"
              for m, targets in _imports().items() for t, line in sorted(targets)
              if _room(t) != _room(m) and _floor(_room(t)) >= _floor(_room(m))]
    assert not upward, "imports that do not go down:\n" + "\n".join(upward)


def test_no_module_imports_itself_in_a_circle():
    graph = {m: {t for t, _ in targets} for m, targets in _imports().items()}
    index, low, stack, on_stack, circles, counter = {}, {}, [], set(), [], [0]

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    assert not circles, f"import circles: {circles}"


def test_the_command_line_uses_public_names_only():
    private = [f"line {line}: {t}" for t, line in sorted(_imports()["predictnas.cli"])
               if len(t.split(".")) > 2 and any(part.startswith("_") for part in t.split(".")[2:])]
    assert not private, "cli.py imports private modules of other rooms:\n" + "\n".join(private)


def test_no_module_is_over_the_line_limit():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines (split them by responsibility): {long}"


def test_the_checker_sees_an_upward_import(tmp_path, monkeypatch):
    """The rules can fail: a spaces module importing the study layer is reported."""
    import shutil

    copy = tmp_path / "predictnas"
    shutil.copytree(PACKAGE, copy)
    (copy / "spaces" / "_bad.py").write_text("from predictnas.study import Study\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", copy)
    try:
        test_imports_only_go_down_the_floors()
    except AssertionError as exc:
        assert "predictnas.spaces._bad -> predictnas.study" in str(exc)
    else:
        raise AssertionError("an upward import was not reported")
