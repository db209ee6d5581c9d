"""The ``boolExp`` of a monitor: a boolean expression over its trigger names.

Grammar (from the official API)::

    exp ::= exp '&' exp | exp '|' exp | (exp) | !exp | NAME

``NAME`` matches the trigger-name pattern ``[a-zA-Z]+[.\\-_]?[0-9]*``;
whitespace between tokens is allowed.  ``!`` binds tightest, then ``&``, then
``|``; both binary operators are left-associative.

:func:`compile_boolexp` parses the text once, checks it against the declared
trigger names and rejects expressions that cannot ever change (always true or
always false over the names they use).  The resulting :class:`BoolExp` is
called on every vehicle data sample with the triggers' states as a sequence
indexed like the declared names: its ``__call__`` is Python code generated
from the parse tree (``(v[0] and not v[2])``), built only from the parser's own
tokens and integer indices, never from the user's text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import TypeAlias, cast

__all__ = ["BoolExp", "BoolExpError", "compile_boolexp"]

MAX_NAMES = 16
"""At most this many distinct names per expression (its truth table is checked)."""

NAME_PATTERN = r"[a-zA-Z]+[.\-_]?[0-9]*"
"""A trigger name, as in the official API."""

_TOKEN = re.compile(rf"\s*(?:(?P<name>{NAME_PATTERN})|(?P<op>[&|!()]))")
_SPACE = re.compile(r"\s*")


class BoolExpError(ValueError):
    """An invalid ``boolExp``: ``reason`` at character ``position`` (0-based) of the text."""

    def __init__(self, position: int, reason: str) -> None:
        super().__init__(f"boolExp: {reason} at position {position}")
        self.position = position
        self.reason = reason


# Parse tree: a name is its index in the declared names; an operator node is
# ("!", operand) or ("&" | "|", left, right).
_Node: TypeAlias = "int | tuple[str, _Node] | tuple[str, _Node, _Node]"


class _Parser:
    """Recursive descent over ``(kind, text, position)`` tokens; kind is 'name' or the op."""

    __slots__ = ("index", "pos", "text", "tokens", "used")

    def __init__(self, text: str, index: Mapping[str, int]) -> None:
        self.text = text
        self.index = index
        self.tokens: list[tuple[str, str, int]] = []
        self.pos = 0
        self.used: set[str] = set()
        at, end = 0, len(text)
        while True:
            at = _SPACE.match(text, at).end()  # type: ignore[union-attr]  # \s* always matches
            if at >= end:
                break
            match = _TOKEN.match(text, at)
            if match is None:
                raise BoolExpError(at, f"unexpected character {text[at]!r}")
            name = match.group("name")
            if name is not None:
                self.tokens.append(("name", name, match.start("name")))
            else:
                self.tokens.append((match.group("op"), match.group("op"), match.start("op")))
            at = match.end()

    def _describe(self, token: tuple[str, str, int] | None) -> str:
        if token is None:
            return "end of expression"
        if token[0] == "name":
            return f"name {token[1]!r}"
        return repr(token[1])

    def _peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def parse(self) -> _Node:
        if not self.tokens:
            raise BoolExpError(0, "empty expression")
        node = self._or()
        token = self._peek()
        if token is not None:  # the only way to stop early is a token no rule accepts here
            raise BoolExpError(token[2], f"unexpected {self._describe(token)}")
        return node

    def _or(self) -> _Node:
        node = self._and()
        while (token := self._peek()) is not None and token[0] == "|":
            self.pos += 1
            node = ("|", node, self._and())
        return node

    def _and(self) -> _Node:
        node = self._unary()
        while (token := self._peek()) is not None and token[0] == "&":
            self.pos += 1
            node = ("&", node, self._unary())
        return node

    def _unary(self) -> _Node:
        token = self._peek()
        if token is None:
            previous = self.tokens[self.pos - 1]
            raise BoolExpError(len(self.text), f"missing operand after {previous[1]!r}")
        kind, value, at = token
        self.pos += 1
        if kind == "!":
            return ("!", self._unary())
        if kind == "name":
            if value not in self.index:
                declared = ", ".join(self.index) or "none"
                raise BoolExpError(at, f"unknown name {value!r} (declared: {declared})")
            self.used.add(value)
            return self.index[value]
        if kind == "(":
            node = self._or()
            close = self._peek()
            if close is None:
                raise BoolExpError(at, "unbalanced parentheses: '(' is never closed")
            if close[0] != ")":
                raise BoolExpError(close[2], f"unexpected {self._describe(close)}")
            self.pos += 1
            return node
        # an operator or ')' where an operand should be
        if self.pos == 1:
            raise BoolExpError(at, f"missing operand before {value!r}")
        raise BoolExpError(
            at, f"missing operand between {self.tokens[self.pos - 2][1]!r} and {value!r}"
        )


def _python(node: _Node) -> str:
    """Python source of a node over the sequence ``v``.

    Chains of one operator are flattened (``(a and b and c)``) so that the
    nesting of the generated code only grows with the alternation of operators.
    """
    if isinstance(node, int):
        return f"v[{node}]"
    if len(node) == 2:
        return f"(not {_python(node[1])})"
    op = node[0]
    operands: list[_Node] = []
    stack: list[_Node] = [node]
    while stack:  # depth-first, left to right
        item = stack.pop()
        if not isinstance(item, int) and len(item) == 3 and item[0] == op:
            stack.append(item[2])
            stack.append(item[1])
        else:
            operands.append(item)
    joiner = " and " if op == "&" else " or "
    return "(" + joiner.join(_python(operand) for operand in operands) + ")"


class BoolExp:
    """A compiled ``boolExp``; build it with :func:`compile_boolexp`.

    ``exp(values)`` evaluates it on the triggers' states given as a sequence
    indexed like the declared names (the fast path); :meth:`evaluate` takes a
    mapping of names instead.
    """

    __slots__ = ("_positions", "declared", "expression", "fn", "text", "used")

    text: str
    """The expression as given."""
    declared: tuple[str, ...]
    """The declared trigger names; ``__call__`` takes their states in this order."""
    used: frozenset[str]
    """The names the expression uses."""
    expression: str
    """The generated Python expression over ``v`` (for diagnostics)."""
    fn: Callable[[Sequence[bool]], bool]
    """A plain function equal to ``__call__``: calling it skips the instance-call
    machinery (some 50 ns per call) for callers that keep it at hand."""
    _positions: tuple[tuple[str, int], ...]

    def __call__(self, values: Sequence[bool]) -> bool:  # generated subclasses inline it
        return self.fn(values)

    def evaluate(self, values: Mapping[str, bool]) -> bool:
        """The value with the triggers' states given by name (unused names may be absent)."""
        states = [False] * len(self.declared)
        for name, position in self._positions:
            states[position] = values[name]
        return self(states)

    def __repr__(self) -> str:
        return f"<BoolExp {self.text!r}: {self.expression}>"


@lru_cache(maxsize=1024)
def _compiled(expression: str) -> tuple[type[BoolExp], Callable[[Sequence[bool]], bool]]:
    """A subclass of :class:`BoolExp` whose ``__call__`` evaluates ``expression``,
    and the same evaluation as a plain function.

    ``expression`` is only ever :func:`_python`'s output: ``v[<int>]``, parentheses
    and the keywords ``not``/``and``/``or``.  Both are shared between expressions
    of the same shape.
    """
    namespace: dict[str, object] = {"__builtins__": {}}
    exec(
        f"def __call__(self, v):\n    return {expression}\ndef fn(v):\n    return {expression}\n",
        namespace,
    )
    cls = type("CompiledBoolExp", (BoolExp,), {"__slots__": (), "__call__": namespace["__call__"]})
    return cast("type[BoolExp]", cls), cast("Callable[[Sequence[bool]], bool]", namespace["fn"])


def compile_boolexp(text: str, declared: Sequence[str]) -> BoolExp:
    """Parse and check ``text`` against the ``declared`` trigger names.

    Raises :class:`BoolExpError` for an empty text, a bad token, unbalanced
    parentheses, a missing operand, an undeclared name, an expression that is
    always true or always false over the names it uses, more than
    :data:`MAX_NAMES` names, or nesting too deep for Python's parser.
    """
    index: dict[str, int] = {}
    for position, name in enumerate(declared):
        index.setdefault(name, position)
    parser = _Parser(text, index)
    try:
        tree = parser.parse()
        if len(parser.used) > MAX_NAMES:
            raise BoolExpError(0, f"more than {MAX_NAMES} distinct names")
        expression = _python(tree)
        cls, fn = _compiled(expression)
    except (RecursionError, SyntaxError, MemoryError):
        raise BoolExpError(0, "expression is nested too deeply") from None
    exp = cls()
    exp.fn = fn
    exp.text = text
    exp.declared = tuple(declared)
    exp.used = frozenset(parser.used)
    exp.expression = expression
    exp._positions = tuple((name, index[name]) for name in sorted(parser.used))

    # Truth table over the used names (the API allows few triggers per monitor).
    positions = [position for _, position in exp._positions]
    states = [False] * len(declared)
    seen_true = seen_false = False
    for row in range(1 << len(positions)):
        for bit, position in enumerate(positions):
            states[position] = bool(row >> bit & 1)
        if fn(states):
            seen_true = True
        else:
            seen_false = True
        if seen_true and seen_false:
            return exp
    raise BoolExpError(
        0, "expression is always true" if seen_true else "expression is always false"
    )
