"""CloudWatch metric math, the arithmetic part: `m1 / m2`, `100 * (e1 - m3)`, ...

Alarms on several metrics combine them with an expression over the ids of the other queries
(PutMetricAlarm's Metrics, a list of MetricDataQuery). The simulator takes the arithmetic
operators (+ - * /, unary minus, parentheses) and numbers, which is what per-task and ratio
alarms need; functions such as FILL or METRICS() are refused by name. Where CloudWatch gives no
value (a missing datapoint in an operand, a division by zero) the result is missing.
"""
from __future__ import annotations

import ast

import numpy as np

_OPS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide}


class ExpressionError(ValueError):
    """The expression is not arithmetic over query ids; the message says what is wrong."""


def parse(expression: str) -> ast.expr:
    try:
        tree = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        raise ExpressionError(f"expected arithmetic over query ids such as 'm1 / m2'; got {expression!r}") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", "a function")
            raise ExpressionError(f"expected arithmetic (+ - * /) over query ids; {name}() is not supported; "
                                  f"got {expression!r}")
        if isinstance(node, ast.BinOp) and type(node.op) not in _OPS:
            raise ExpressionError(f"expected the operators + - * / only; got {expression!r}")
        if isinstance(node, ast.UnaryOp) and not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise ExpressionError(f"expected the operators + - * / only; got {expression!r}")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            raise ExpressionError(f"expected numbers and query ids; got {node.value!r} in {expression!r}")
        if not isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Name, ast.Constant, ast.Load, ast.operator,
                                 ast.unaryop)):
            raise ExpressionError(f"expected arithmetic over query ids such as 'm1 / m2'; got {expression!r}")
    return tree


def names(expression: str) -> list[str]:
    """The query ids an expression reads, in order of first use."""
    seen: list[str] = []
    for node in ast.walk(parse(expression)):
        if isinstance(node, ast.Name) and node.id not in seen:
            seen.append(node.id)
    return seen


def evaluate(expression: str, values: dict[str, np.ndarray]) -> np.ndarray:
    """The expression over datapoint arrays (NaN = missing), element by element."""
    def walk(node):
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            return np.asarray(values[node.id], dtype=float)
        if isinstance(node, ast.UnaryOp):
            operand = walk(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        return _OPS[type(node.op)](walk(node.left), walk(node.right))

    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(walk(parse(expression)), dtype=float)
    return np.where(np.isfinite(out), out, np.nan)
