"""Parse a Python file once into the standard `ast`, whatever Python it was written for.

The interpreter's own parser is fast but only knows its own grammar. When it fails, libcst (which knows newer
grammar: 3.12 f-strings nesting the same quotes, type parameters, `type` statements) parses the file and
`cst_to_ast` converts the tree, so every check sees the same `ast` nodes with real line numbers. A file neither
parser accepts (Python 2, a real syntax error) raises ParseFailure with the line, and becomes a notice.

libcst's parser is native code: deeply nested input overflows its stack (SIGSEGV, no exception to catch) and long
expression chains take quadratic time. So before it runs, a tokenizer pass bounds the nesting (a file nested past
limits.MAX_PY_NESTING is refused outright), and a risky file (a very long statement, many tokens) is parsed in a
forked child process with a time and memory limit, where a crash or a hang costs that one file.
"""

from __future__ import annotations

import ast
import io
import tokenize
import warnings

from ... import isolate
from ... import limits


class ParseFailure(Exception):
    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


def parse_python(text: str, filename: str = "<file>") -> tuple[ast.Module, str]:
    """Return (tree, parser name): "ast" when the running interpreter parsed it, "libcst" for the fallback
    ("libcst:except-comma:LINE" when what the interpreter refused is `except X, e:` at LINE)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarning for invalid escapes in scanned code is not ours
            return ast.parse(text, filename=filename), "ast"
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        first_error = exc
    if isinstance(first_error, (RecursionError, MemoryError)):
        # Nesting too deep for the interpreter's parser: libcst would not do better, and on such input (a
        # generated 200,000-term expression) it runs for minutes. Hostile input must not stall the scan.
        raise _failure(first_error)
    if isinstance(first_error, SyntaxError) and "too many nested" in str(first_error.msg):
        raise _too_deep(first_error.lineno)
    shape = measure(text)
    if shape.depth > limits.MAX_PY_NESTING:
        raise _too_deep(shape.deepest_line, shape.depth)
    try:
        import libcst  # noqa: F401  (imported here, before any fork)

        from .cst_to_ast import convert  # noqa: F401
    except ImportError:  # pragma: no cover - libcst is a hard dependency
        raise _failure(first_error) from None
    risky = shape.longest_statement > limits.PY_RISKY_STATEMENT_TOKENS or shape.tokens > limits.MAX_PY_INPROCESS_TOKENS
    if risky:
        if not isolate.can_fork():
            raise ParseFailure(f"{shape.describe()}, and no child process is available to parse it safely with the "
                               "fallback parser; the file was not analysed", shape.longest_line)
        try:
            outcome = isolate.run_in_child(lambda: _fallback(text, first_error), limits.PARSE_TIMEOUT,
                                          limits.PARSE_MEMORY)
        except isolate.ChildFailed as exc:
            raise ParseFailure(f"the fallback parser {exc} on this file ({shape.describe()}); the file was not "
                               "analysed", shape.longest_line) from None
    else:
        outcome = _fallback(text, first_error)
    if isinstance(outcome, ParseFailure):
        raise outcome
    if isinstance(first_error, SyntaxError) and "exception types must be parenthesized" in str(first_error.msg):
        # Python 2's `except X, e:` (or 3.14's `except A, B:`): the notice names it
        return outcome, f"libcst:except-comma:{first_error.lineno}"
    return outcome, "libcst"


def _fallback(text: str, first_error: BaseException):
    """libcst, then the converter: the tree, or the ParseFailure to raise (returned, so a child can send it)."""
    import libcst

    from .cst_to_ast import convert

    try:
        module = libcst.parse_module(text)
    except Exception:  # libcst.ParserSyntaxError and friends: the file is not Python of any version it knows
        return _failure(first_error)
    try:
        return convert(module, text)
    except RecursionError:
        return ParseFailure("too deeply nested to convert (RecursionError); the file was not analysed")
    except Exception as exc:  # a converter gap must not lose the file silently
        return ParseFailure(f"parsed with libcst but could not convert it ({exc.__class__.__name__}: {exc})")


class Shape:
    """What the tokenizer saw: bracket depth, tokens in all and in the longest logical line."""

    __slots__ = ("depth", "deepest_line", "tokens", "longest_statement", "longest_line")

    def __init__(self):
        self.depth = self.tokens = self.longest_statement = 0
        self.deepest_line = self.longest_line = None

    def describe(self) -> str:
        return f"{self.tokens} tokens, the longest statement {self.longest_statement}, brackets {self.depth} deep"


_OPEN, _CLOSE = frozenset("([{"), frozenset(")]}")


def measure(text: str) -> Shape:
    """Bracket nesting and token counts, by the standard tokenizer (linear; it does not nest). A file the tokenizer
    gives up on counts what was seen up to there, plus one risky statement: it goes to a child process."""
    shape = Shape()
    depth = statement = 0
    statement_line = 1
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            shape.tokens += 1
            statement += 1
            if tok.type == tokenize.OP:
                if tok.string in _OPEN:
                    depth += 1
                    if depth > shape.depth:
                        shape.depth, shape.deepest_line = depth, tok.start[0]
                elif tok.string in _CLOSE:
                    depth = max(0, depth - 1)
            elif tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                if statement > shape.longest_statement:
                    shape.longest_statement, shape.longest_line = statement, statement_line
                statement, statement_line = 0, tok.end[0] + 1
            if shape.depth > limits.MAX_PY_NESTING:
                break
    except (tokenize.TokenError, SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    if statement > shape.longest_statement:
        shape.longest_statement, shape.longest_line = statement, statement_line
    return shape


def _too_deep(line: int | None, depth: int | None = None) -> ParseFailure:
    how = f"{depth} deep" if depth else "too deeply"
    return ParseFailure(f"brackets nested {how}, over the limit of {limits.MAX_PY_NESTING} (parsers overflow on such "
                        "input); the file was not analysed", line)


def _failure(exc: BaseException) -> ParseFailure:
    if isinstance(exc, SyntaxError):
        where = f" at line {exc.lineno}" if exc.lineno else ""
        return ParseFailure(f"syntax error{where}: {exc.msg}; the file was not analysed", exc.lineno)
    if isinstance(exc, (RecursionError, MemoryError)):
        return ParseFailure(f"too deeply nested to parse ({exc.__class__.__name__}); the file was not analysed")
    return ParseFailure(f"could not parse ({exc.__class__.__name__}); the file was not analysed")
