"""A small, safe expression language for ``active_if`` conditions and constraints.

Expressions are Python syntax restricted to: parameter names, numbers, strings, ``True``/``False``,
arithmetic (``+ - * / // % **``), comparisons (including ``in``), ``and``/``or``/``not``,
conditional expressions, list/tuple literals, and these functions:

- ``sum_of("glob")``, ``max_of("glob")``, ``min_of("glob")``: over the *active* numeric
  parameters whose name matches the glob (inactive ones are skipped; empty sum is 0);
- ``count_of("glob")``: how many parameters matching the glob are active;
- ``abs``, ``min``, ``max``.

An inactive parameter named directly evaluates to ``None``. The syntax tree is checked once at
load time (no attribute access, subscripts, lambdas or other calls), then compiled. Expressions come
from spec files and study files that may be someone else's, so they are bounded: at most
``MAX_SOURCE`` characters, and ``**``, ``*`` and ``+`` refuse results over ``MAX_INT_BITS`` bits or
``MAX_ITEMS`` characters / items (``9 ** 9 ** 9`` or ``'x' * 10 ** 10`` is an error, not a hang or
a MemoryError); constant parts are checked when the expression is loaded.

Example:
    >>> e = Expression("sum_of('*_width') <= 64", names={"a_width", "b_width"})
    >>> e.evaluate({"a_width": 32, "b_width": 16})
    True
"""

from __future__ import annotations

import ast
import fnmatch
from collections.abc import Callable, Collection, Mapping
from typing import Any

from predictnas.exceptions import ExpressionError

_ALLOWED_NODES = (
    ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div,
    ast.FloorDiv, ast.Mod, ast.Pow, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.Compare, ast.Eq,
    ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot, ast.Name,
    ast.Load, ast.Constant, ast.Call, ast.List, ast.Tuple, ast.IfExp,
)
_GLOB_FUNCTIONS = ("sum_of", "max_of", "min_of", "count_of")
_PLAIN_FUNCTIONS = {"abs": abs, "min": min, "max": max}


MAX_SOURCE = 1000
MAX_INT_BITS = 4096
MAX_ITEMS = 10_000


def _too_large(op: str, a: Any, b: Any) -> ExpressionError:
    return ExpressionError(f"{a!r:.40} {op} {b!r:.40} is too large for a condition (over {MAX_INT_BITS} bits or "
                           f"{MAX_ITEMS} items)")


def _pow(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1 and a.bit_length() * b > MAX_INT_BITS:
        raise _too_large("**", a, b)
    return a**b


def _mul(a: Any, b: Any) -> Any:
    for seq, n in ((a, b), (b, a)):
        if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * max(n, 0) > MAX_ITEMS:
            raise _too_large("*", a, b)
    if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length() > MAX_INT_BITS:
        raise _too_large("*", a, b)
    return a * b


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, (str, list, tuple)) and isinstance(b, (str, list, tuple)) and len(a) + len(b) > MAX_ITEMS:
        raise _too_large("+", a, b)
    return a + b


_GUARDS = {ast.Pow: ("__pn_pow", _pow), ast.Mult: ("__pn_mul", _mul), ast.Add: ("__pn_add", _add)}
_GUARD_NAMESPACE = {name: fn for name, fn in _GUARDS.values()}


class _Guarded(ast.NodeTransformer):
    """Replaces ``a ** b``, ``a * b`` and ``a + b`` by calls of their size-checked versions."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        guard = _GUARDS.get(type(node.op))
        if guard is None:
            return node
        return ast.copy_location(ast.Call(func=ast.Name(guard[0], ast.Load()), args=[node.left, node.right], keywords=[]), node)


class Expression:
    """A validated, compiled expression over parameter values.

    Args:
        source: The expression text.
        names: Parameter names the expression may refer to.
    """

    def __init__(self, source: str, *, names: Collection[str]) -> None:
        if not isinstance(source, str) or not source.strip():
            raise ExpressionError("an expression must be a non-empty string")
        if len(source) > MAX_SOURCE:
            raise ExpressionError(f"{source[:40]!r}... is {len(source)} characters long; conditions may have at most {MAX_SOURCE}")
        try:
            tree = ast.parse(source.strip(), mode="eval")
        except SyntaxError as exc:
            raise ExpressionError(f"{source!r} is not a valid expression ({exc.msg})") from None
        except (ValueError, RecursionError, MemoryError) as exc:  # e.g. an integer literal of 5,000 digits
            raise ExpressionError(f"{source[:40]!r} is not a valid expression ({type(exc).__name__})") from None
        self.source = source.strip()
        self.names: tuple[str, ...] = tuple(sorted(self._check(tree, set(names))))
        self.globs: tuple[str, ...] = tuple(_collect_globs(tree))
        guarded = ast.fix_missing_locations(_Guarded().visit(tree))
        self._check_constants(guarded)
        self._code = compile(guarded, "<expression>", "eval")
        self._memo: dict[tuple[Any, ...], Any] = {}  # results by the values of `names` (no globs)

    def _check_constants(self, tree: ast.AST) -> None:
        """Evaluates each operation on constants alone once, so ``9 ** 9 ** 9`` fails at load time."""
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _GUARD_NAMESPACE \
                    and not any(isinstance(n, ast.Name) and n.id not in _GUARD_NAMESPACE for n in ast.walk(node)):
                self._run(compile(ast.fix_missing_locations(ast.Expression(node)), "<expression>", "eval"), {})

    def _run(self, code: Any, namespace: dict[str, Any]) -> Any:
        try:
            return eval(code, {"__builtins__": {}, **_GUARD_NAMESPACE}, namespace)  # noqa: S307 - validated, guarded AST
        except ExpressionError as exc:
            raise ExpressionError(f"{self.source!r}: {exc}") from None
        except (ArithmeticError, TypeError, ValueError, RecursionError, MemoryError) as exc:
            raise ExpressionError(f"{self.source!r} cannot be evaluated ({type(exc).__name__}: {exc})") from None

    def _check(self, tree: ast.AST, names: set[str]) -> set[str]:
        used: set[str] = set()
        for node in ast.walk(tree):
            if not isinstance(node, _ALLOWED_NODES):
                raise ExpressionError(
                    f"{self.source!r} uses {type(node).__name__}, which is not allowed; use names,"
                    " numbers, arithmetic, comparisons, and/or/not and "
                    f"{', '.join(_GLOB_FUNCTIONS + tuple(_PLAIN_FUNCTIONS))}"
                )
            if isinstance(node, ast.Call):
                func = node.func
                if not isinstance(func, ast.Name) or func.id not in (*_GLOB_FUNCTIONS, *_PLAIN_FUNCTIONS):
                    raise ExpressionError(
                        f"{self.source!r} calls an unknown function; available: "
                        f"{sorted((*_GLOB_FUNCTIONS, *_PLAIN_FUNCTIONS))}"
                    )
                if func.id in _GLOB_FUNCTIONS and not (
                    len(node.args) == 1 and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str) and not node.keywords
                ):
                    raise ExpressionError(f"{func.id}() takes one quoted glob, e.g. {func.id}('*_width')")
            elif isinstance(node, ast.Name) and node.id not in (*_GLOB_FUNCTIONS, *_PLAIN_FUNCTIONS):
                if node.id not in names:
                    raise ExpressionError(
                        f"{self.source!r} refers to unknown parameter {node.id!r}; "
                        f"known parameters: {sorted(names)}"
                    )
                used.add(node.id)
        for glob in _collect_globs(tree):
            if not any(fnmatch.fnmatchcase(n, glob) for n in names):
                raise ExpressionError(f"{self.source!r}: the glob {glob!r} matches no parameter")
        return used

    def evaluate(self, values: Mapping[str, Any], *, all_names: Collection[str] | None = None) -> Any:
        """Evaluates against active parameter values (absent names are inactive → ``None``).
        Without globs the result depends on ``names`` only and is memoised (candidate pools
        evaluate the same few conditions hundreds of thousands of times)."""
        key: tuple[Any, ...] | None = None
        if not self.globs:
            key = tuple(values.get(n) for n in self.names)
            try:
                return self._memo[key]
            except KeyError:
                pass
            except TypeError:  # an unhashable value
                key = None
        namespace: dict[str, Any] = {n: values.get(n) for n in self.names}
        if self.globs:
            namespace.update(_glob_functions(values))
        namespace.update(_PLAIN_FUNCTIONS)
        result = self._run(self._code, namespace)
        if key is not None and len(self._memo) < 100_000:
            self._memo[key] = result
        return result

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"


def _collect_globs(tree: ast.AST) -> list[str]:
    return [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _GLOB_FUNCTIONS
    ]


def _glob_functions(values: Mapping[str, Any]) -> dict[str, Callable[[str], Any]]:
    def matching(glob: str) -> list[Any]:
        return [v for n, v in values.items() if fnmatch.fnmatchcase(n, glob)]

    def numeric(glob: str) -> list[float]:
        return [v for v in matching(glob) if isinstance(v, (int, float)) and not isinstance(v, bool)]

    return {
        "sum_of": lambda g: sum(numeric(g)),
        "max_of": lambda g: max(numeric(g), default=0),
        "min_of": lambda g: min(numeric(g), default=0),
        "count_of": lambda g: len(matching(g)),
    }
