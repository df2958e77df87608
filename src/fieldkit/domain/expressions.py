"""The form expression language: the XLSForm / ODK XPath subset that forms really use.

Relevance conditions, constraints and calculations are parsed once (with a LALR grammar, never with
``eval``), checked (function names, argument counts, literal regular expressions, nesting depth),
and compiled into nested Python closures; :meth:`Expression.evaluate` only runs the closures.

Values follow XPath 1.0: ``None`` is an empty answer, numbers are floats (functions return
floats), a select_multiple answer is a list of codes, and a field inside a repeat group, seen
from outside it, is a :class:`Nodeset`. Choices made where the specification leaves room:

* ``round`` rounds half away from zero (ODK's BigDecimal HALF_UP): ``round(-2.5)`` is -3.
* A string that is a valid XPath number converts as that number ("2026" is 2026); any other ISO
  date or date-time string, of reduced precision too ("2026-03"), converts to days since
  1970-01-01. ``date()``, ``decimal-date-time()`` and date comparisons read "2026" as a year.
* ``=`` / ``!=`` compare as dates when one side is a date object and the other is date-like.
* A Nodeset compared with a boolean is converted to a boolean first (XPath 1.0, not existential).
* ``concat``, ``join`` and ``count-equal`` use every item of a Nodeset (as ``sum``, ``count``,
  ``min`` and ``max`` do); other functions use its first item.
* ``count`` of an empty answer is 0 and of any other single value 1; ``coalesce`` returns ""
  when all its arguments are empty; ``date()`` of something that is not a date is empty.
* Error columns are 1-based character positions in the whole source text.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeAlias, cast

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

from fieldkit.domain.expression_functions import (
    _FUNCTIONS,
    FUNCTION_NAMES,
    _compile_regex,
    _Function,
    _regex_search,
)
from fieldkit.domain.expression_values import (
    _OPERATORS,
    ExpressionError,
    Nodeset,
    Scope,
    Value,
    _FunctionError,
    _Operator,
    _Run,
    _Where,
    to_number,
    to_string,
    truthy,
)
from fieldkit.i18n import _, ngettext

MAX_SOURCE_LENGTH = 4000
MAX_DEPTH = 64


__all__ = [
    "FUNCTION_NAMES",
    "MAX_DEPTH",
    "MAX_SOURCE_LENGTH",
    "Expression",
    "ExpressionError",
    "Nodeset",
    "Scope",
    "Value",
    "parse",
    "to_number",
    "to_string",
    "truthy",
]

# --- parsing ------------------------------------------------------------------------------------

_GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr (_OR and_expr)*
?and_expr: eq_expr (_AND eq_expr)*
?eq_expr: rel_expr ((EQ | NE) rel_expr)*
?rel_expr: add_expr ((LT | LE | GT | GE) add_expr)*
?add_expr: mul_expr ((PLUS | MINUS) mul_expr)*
?mul_expr: unary ((STAR | DIV | MOD) unary)*
?unary: MINUS* primary
?primary: NUMBER | STRING | REF | DOT | call | "(" or_expr ")"
call: FUNCNAME "(" (or_expr ("," or_expr)*)? ")"

_OR: /or(?![A-Za-z0-9_])/
_AND: /and(?![A-Za-z0-9_])/
DIV: /div(?![A-Za-z0-9_])/
MOD: /mod(?![A-Za-z0-9_])/
EQ: "="
NE: "!="
LT: "<"
LE: "<="
GT: ">"
GE: ">="
PLUS: "+"
MINUS: "-"
STAR: "*"
DOT: "."
NUMBER: /[0-9]+(\.[0-9]*)?|\.[0-9]+/
STRING: /"[^"]*"|'[^']*'/
REF: /\$\{[A-Za-z_][A-Za-z0-9_]*\}/
FUNCNAME: /[A-Za-z_][A-Za-z0-9_-]*/
WS: /\s+/
%ignore WS
"""
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")

_Node: TypeAlias = "Tree[Token] | Token"


@functools.cache
def _parser() -> Lark:
    return Lark(_GRAMMAR, parser="lalr", lexer="contextual", propagate_positions=True)


class Expression:
    """A parsed expression; evaluate it as often as needed."""

    __slots__ = ("_run", "references", "source", "uses_current")

    def __init__(
        self, source: str, references: frozenset[str], uses_current: bool, run: _Run
    ) -> None:
        self.source = source
        self.references = references  # every name used as ${name}
        self.uses_current = uses_current  # whether '.' appears
        self._run = run

    def evaluate(self, scope: Scope) -> Value:
        """The value of the expression in ``scope``; raises nothing but ExpressionError."""
        try:
            return self._run(scope)
        except ExpressionError:
            raise
        except Exception as exc:  # a failing scope or a value of an unexpected type
            raise ExpressionError(_("the expression cannot be evaluated"), self.source) from exc

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"


@functools.lru_cache(maxsize=4096)
def parse(source: str) -> Expression:
    """Parse and check ``source``; raises ExpressionError with the column of the problem."""
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError(_("the expression is empty"), str(source or ""))
    if len(source) > MAX_SOURCE_LENGTH:
        message = _("the expression is longer than {limit} characters").format(
            limit=MAX_SOURCE_LENGTH
        )
        raise ExpressionError(message, source, MAX_SOURCE_LENGTH + 1)
    open_parens = _scan(source)
    tree = _parse_tree(source, open_parens)
    _check_depth(tree, source)
    compiler = _Compiler(source)
    run = compiler.compile(tree)
    return Expression(source, frozenset(compiler.references), compiler.uses_current, run)


def _too_deep(source: str, position: int) -> ExpressionError:
    message = _("the expression is nested more than {limit} levels deep")
    return ExpressionError(message.format(limit=MAX_DEPTH), source, position + 1)


def _scan(source: str) -> list[int]:
    """Check strings and parenthesis depth; return the positions of unclosed '('."""
    open_parens: list[int] = []
    quote, quote_at = "", 0
    for position, char in enumerate(source):
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote, quote_at = char, position
        elif char == "(":
            open_parens.append(position)
            if len(open_parens) > MAX_DEPTH:
                raise _too_deep(source, position)
        elif char == ")" and open_parens:
            open_parens.pop()
    if quote:
        raise ExpressionError(_("unclosed string"), source, quote_at + 1)
    return open_parens


def _parse_tree(source: str, open_parens: list[int]) -> _Node:
    try:
        tree: _Node = _parser().parse(source)
    except UnexpectedCharacters as exc:
        position = exc.pos_in_stream or 0
        message = _("unexpected character '{char}'").format(char=source[position : position + 1])
        raise ExpressionError(message, source, position + 1) from None
    except UnexpectedToken as exc:
        token = None if exc.token.type == "$END" else exc.token
        raise _token_error(source, token, exc.expected, open_parens) from None
    except UnexpectedEOF:
        raise _token_error(source, None, set(), open_parens) from None
    except LarkError:
        raise ExpressionError(_("the expression cannot be read"), source) from None
    return tree


def _token_error(
    source: str, token: Token | None, expected: set[str], open_parens: list[int]
) -> ExpressionError:
    position = len(source) if token is None else (token.start_pos or 0)
    if expected == {"LPAR"}:  # a bare word, like yes in ${a} = yes
        end = position
        while end > 0 and source[end - 1].isspace():
            end -= 1
        start = end
        while start > 0 and source[start - 1] in _NAME_CHARS:
            start -= 1
        message = _("'{word}' is neither a function call nor a value; put text in quotes")
        return ExpressionError(message.format(word=source[start:end]), source, start + 1)
    if token is None and open_parens:
        return ExpressionError(_("unclosed parenthesis"), source, open_parens[-1] + 1)
    if token is None:
        return ExpressionError(_("unexpected end of expression"), source, len(source) + 1)
    message = _("unexpected '{token}'").format(token=str(token.value)[:20])
    return ExpressionError(message, source, position + 1)


def _check_depth(tree: _Node, source: str) -> None:
    """Reject trees deeper than MAX_DEPTH without recursion (compiling them recurses)."""
    stack: list[tuple[_Node, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, Tree):
            if depth > MAX_DEPTH:
                raise _too_deep(source, getattr(node.meta, "start_pos", 0))
            stack.extend((child, depth + 1) for child in node.children)


class _Compiler:
    """Turns a checked parse tree into closures; recursion is bounded by _check_depth."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.references: set[str] = set()
        self.uses_current = False

    def compile(self, node: _Node) -> _Run:
        if isinstance(node, Token):
            return self.leaf(node)
        children = node.children
        if node.data in ("or_expr", "and_expr"):
            return _logic([self.compile(child) for child in children], node.data == "or_expr")
        if node.data in ("eq_expr", "rel_expr", "add_expr", "mul_expr"):
            first = self.compile(children[0])
            steps = [
                (cast(Token, children[i]).type, self.compile(children[i + 1]))
                for i in range(1, len(children), 2)
            ]
            return _chain(first, [(_OPERATORS[op], run) for op, run in steps])
        if node.data == "unary":
            return _negation(self.compile(children[-1]), len(children) - 1)
        return self.call(node)

    def leaf(self, token: Token) -> _Run:
        if token.type == "NUMBER":
            return _constant(float(token.value))
        if token.type == "STRING":
            return _constant(token.value[1:-1])
        if token.type == "REF":
            name = token.value[2:-1]
            self.references.add(name)
            return lambda scope: scope.value(name)
        self.uses_current = True
        return lambda scope: scope.current()

    def call(self, node: Tree[Token]) -> _Run:
        name_token, args = cast(Token, node.children[0]), node.children[1:]
        name, column = str(name_token.value), (name_token.start_pos or 0) + 1
        function = _FUNCTIONS.get(name)
        if function is None:
            message = _("unknown function '{name}'").format(name=name)
            raise ExpressionError(message, self.source, column)
        if len(args) < function.min_args or (
            function.max_args is not None and len(args) > function.max_args
        ):
            raise ExpressionError(_arity_message(name, function, len(args)), self.source, column)
        impl = function.impl
        pattern = args[1] if name == "regex" else None
        if isinstance(pattern, Token) and pattern.type == "STRING":
            try:
                compiled = _compile_regex(pattern.value[1:-1])
            except _FunctionError as exc:
                pattern_column = (pattern.start_pos or 0) + 1
                raise ExpressionError(exc.message, self.source, pattern_column) from None
            impl, args = functools.partial(_regex_search, compiled), args[:1]
        runs = [self.compile(arg) for arg in args]
        return _call(name, function, impl, runs, (self.source, column))


def _arity_message(name: str, function: _Function, given: int) -> str:
    low, high = function.min_args, function.max_args
    if high is None:
        expected = _("at least {count}").format(count=low)
    elif low == high:
        expected = str(low)
    else:
        expected = _("{low} to {high}").format(low=low, high=high)
    message = ngettext(
        "{name}() takes {expected} argument, not {given}",
        "{name}() takes {expected} arguments, not {given}",
        high or low,
    )
    return message.format(name=name, expected=expected, given=given)


def _constant(value: Value) -> _Run:
    return lambda scope: value


def _logic(runs: list[_Run], is_or: bool) -> _Run:
    if len(runs) == 2:
        left, right = runs
        if is_or:
            return lambda scope: truthy(left(scope)) or truthy(right(scope))
        return lambda scope: truthy(left(scope)) and truthy(right(scope))

    def run(scope: Scope) -> Value:
        for each in runs:
            if truthy(each(scope)) is is_or:
                return is_or
        return not is_or

    return run


def _chain(first: _Run, steps: list[tuple[_Operator, _Run]]) -> _Run:
    """Left-associative operators, run in a loop (a chain of 2,000 '+' must not recurse)."""
    if len(steps) == 1:
        apply, right = steps[0]
        return lambda scope: apply(first(scope), right(scope))

    def run(scope: Scope) -> Value:
        result = first(scope)
        for apply, each in steps:
            result = apply(result, each(scope))
        return result

    return run


def _negation(inner: _Run, minus_signs: int) -> _Run:
    if minus_signs % 2:
        return lambda scope: -to_number(inner(scope))
    return lambda scope: to_number(inner(scope))


def _call(
    name: str, function: _Function, impl: Callable[..., Value], runs: list[_Run], where: _Where
) -> _Run:
    if function.lazy:
        return lambda scope: impl(scope, runs)

    def call(scope: Scope) -> Value:
        values = [run(scope) for run in runs]
        try:
            return impl(*values)
        except _FunctionError as exc:
            raise ExpressionError(exc.message, *where) from None
        except Exception as exc:  # a bug, reported where it happened
            raise ExpressionError(_("{name}() failed").format(name=name), *where) from exc

    return call
