"""The monitors' boolExp: parsing, precedence, errors, random trees vs a direct evaluation."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import TypeAlias

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.monitors.boolexp import BoolExp, BoolExpError, compile_boolexp

Truth: TypeAlias = Callable[..., bool]


def assert_same_function(exp: BoolExp, names: list[str], expected: Truth) -> None:
    """``exp`` agrees with ``expected(*values of names)`` on every assignment."""
    for values in itertools.product([False, True], repeat=len(names)):
        assignment = dict(zip(names, values, strict=True))
        want = expected(*values)
        assert exp([assignment[name] for name in exp.declared]) is want, assignment
        assert exp.evaluate(assignment) is want, assignment


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a & b | c", lambda a, b, c: (a and b) or c),
        ("c | a & b", lambda a, b, c: c or (a and b)),
        ("a & (b | c)", lambda a, b, c: a and (b or c)),
        ("!a & b", lambda a, b, c: (not a) and b),
        ("!(a | b)", lambda a, b, c: not (a or b)),
        ("!a | !b & c", lambda a, b, c: (not a) or ((not b) and c)),
        ("!!a & b", lambda a, b, c: a and b),
        ("a|b&c", lambda a, b, c: a or (b and c)),
        (" \t( a\n&b )| c ", lambda a, b, c: (a and b) or c),
    ],
)
def test_precedence(text: str, expected: Truth) -> None:
    exp = compile_boolexp(text, ["a", "b", "c"])
    assert exp.text == text
    assert_same_function(exp, ["a", "b", "c"], expected)


def test_reference_example() -> None:
    text = "((z1 & t1) | (z2 & !t1) | (f & z1) | (a & (z1|t))  | (o & (z1 | z2)))"
    declared = ["o", "t", "a", "f", "z2", "t1", "z1"]
    exp = compile_boolexp(text, declared)
    assert exp.used == frozenset(declared)

    def expected(z1: bool, t1: bool, z2: bool, f: bool, a: bool, t: bool, o: bool) -> bool:
        return (
            (z1 and t1) or (z2 and not t1) or (f and z1) or (a and (z1 or t)) or (o and (z1 or z2))
        )

    assert_same_function(exp, ["z1", "t1", "z2", "f", "a", "t", "o"], expected)


def test_names_and_unused_declared_names() -> None:
    declared = ["zone-1", "time_2", "data.3", "Speed", "ab12", "unused"]
    exp = compile_boolexp("zone-1&time_2|!data.3&(Speed|ab12)", declared)
    assert exp.used == frozenset(declared[:5])
    assert exp.declared == tuple(declared)
    # unused names may be left out of the mapping; their slot in the sequence is ignored
    values = {"zone-1": True, "time_2": False, "data.3": False, "Speed": False, "ab12": True}
    assert exp.evaluate(values) is True
    assert exp([True, False, False, False, True, True]) is True
    assert exp([False, False, True, True, True, False]) is False
    with pytest.raises(KeyError):
        exp.evaluate({"zone-1": True})


def test_too_many_names() -> None:
    names = [f"t{i}" for i in range(20)]
    assert compile_boolexp(" | ".join(names[:16]), names).used == frozenset(names[:16])
    with pytest.raises(BoolExpError, match="more than 16 distinct names"):
        compile_boolexp(" | ".join(names[:17]), names)


def test_duplicate_declared_names_use_the_first_position() -> None:
    exp = compile_boolexp("a & !b", ["a", "b", "a"])
    assert exp([True, False, False]) is True
    assert exp([False, False, True]) is False


def test_long_flat_chains_compile() -> None:
    exp = compile_boolexp(" | ".join(["a & b", "!a & c"] * 300), ["a", "b", "c"])
    assert_same_function(exp, ["a", "b", "c"], lambda a, b, c: (a and b) or (not a and c))


@pytest.mark.parametrize(
    ("text", "position", "reason"),
    [
        ("", 0, "empty expression"),
        ("   \t", 0, "empty expression"),
        ("a & #b", 4, "unexpected character '#'"),
        ("a && b", 3, "missing operand between '&' and '&'"),
        ("a & 1", 4, "unexpected character '1'"),
        ("(a & b))", 7, "unexpected ')'"),
        ("a) | (b", 1, "unexpected ')'"),
        ("(a & b", 0, "unbalanced parentheses"),
        ("a | ((b & c)", 4, "unbalanced parentheses"),
        ("a &", 3, "missing operand after '&'"),
        ("a | !", 5, "missing operand after '!'"),
        ("& a", 0, "missing operand before '&'"),
        ("a & | b", 4, "missing operand between '&' and '|'"),
        ("()", 1, "missing operand between '(' and ')'"),
        ("a & ()", 5, "missing operand between '(' and ')'"),
        ("a b", 2, "unexpected name 'b'"),
        ("(a | b) c", 8, "unexpected name 'c'"),
        ("a (b)", 2, "unexpected '('"),
        ("a & !x", 5, "unknown name 'x'"),
        ("a & b_", 4, "unknown name 'b_'"),
        ("a | !a", 0, "always true"),
        ("a & !a", 0, "always false"),
        ("(a | b) & !a & !b", 0, "always false"),
        ("!(a & b) | a", 0, "always true"),
        ("(" * 300 + "!" * 300 + "a" + ")" * 300, 0, "nested too deeply"),
    ],
)
def test_errors(text: str, position: int, reason: str) -> None:
    with pytest.raises(BoolExpError) as caught:
        compile_boolexp(text, ["a", "b", "c"])
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.position == position
    assert reason in error.reason
    assert str(error) == f"boolExp: {error.reason} at position {position}"


def test_error_message_format() -> None:
    with pytest.raises(BoolExpError, match=r"^boolExp: unexpected '\)' at position 7$"):
        compile_boolexp("(a & b))", ["a", "b"])


# --- random expression trees ------------------------------------------------------------------

Tree: TypeAlias = "str | tuple[str, Tree] | tuple[str, Tree, Tree]"
NAMES = ["a", "b2", "c.1", "d_3", "Ee-4"]
PRECEDENCE = {"|": 1, "&": 2, "!": 3}


def trees(names: list[str]) -> st.SearchStrategy[Tree]:
    def extend(children: st.SearchStrategy[Tree]) -> st.SearchStrategy[Tree]:
        return st.one_of(
            st.tuples(st.just("!"), children),
            st.tuples(st.sampled_from(["&", "|"]), children, children),
        )

    return st.recursive(st.sampled_from(names), extend, max_leaves=12)


def render(tree: Tree, space: str, minimal: bool, floor: int = 0) -> str:
    """The tree as boolExp text: with as few parentheses as precedence allows, or all."""
    if isinstance(tree, str):
        return tree
    if len(tree) == 2:
        return "!" + render(tree[1], space, minimal, PRECEDENCE["!"])
    op, left, right = tree
    level = PRECEDENCE[op]
    # left-associative: a right operand of the same level keeps its parentheses
    text = (
        render(left, space, minimal, level)
        + f"{space}{op}{space}"
        + render(right, space, minimal, level + 1)
    )
    return f"({text})" if not minimal or level < floor else text


def direct(tree: Tree, values: Mapping[str, bool]) -> bool:
    if isinstance(tree, str):
        return values[tree]
    if len(tree) == 2:
        return not direct(tree[1], values)
    op, left, right = tree
    if op == "&":
        return direct(left, values) and direct(right, values)
    return direct(left, values) or direct(right, values)


def names_in(tree: Tree) -> set[str]:
    if isinstance(tree, str):
        return {tree}
    return set().union(*(names_in(child) for child in tree[1:]))


@settings(deadline=None)
@given(
    trees(NAMES),
    st.permutations([*NAMES, "unused"]),
    st.sampled_from(["", " ", "\t "]),
    st.booleans(),
)
def test_random_trees(tree: Tree, declared: list[str], space: str, minimal: bool) -> None:
    text = render(tree, space, minimal)
    used = sorted(names_in(tree))
    rows = [
        dict(zip(used, bits, strict=True))
        for bits in itertools.product([False, True], repeat=len(used))
    ]
    results = {direct(tree, row) for row in rows}
    if len(results) == 1:
        with pytest.raises(BoolExpError) as caught:
            compile_boolexp(text, declared)
        assert caught.value.position == 0
        assert caught.value.reason.endswith("always true" if True in results else "always false")
        return
    exp = compile_boolexp(text, declared)
    assert exp.used == frozenset(used)
    for row in rows:
        want = direct(tree, row)
        for unused in (False, True):
            values = [row.get(name, unused) for name in declared]
            assert exp(values) is want
            assert exp.fn(values) is want
        assert exp.evaluate(row) is want
