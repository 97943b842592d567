"""Parse a Python file once into the standard `ast`, whatever Python it was written for.

The interpreter's own parser is fast but only knows its own grammar. When it fails, libcst (which knows newer
grammar: 3.12 f-strings nesting the same quotes, type parameters, `type` statements) parses the file and
`cst_to_ast` converts the tree, so every check sees the same `ast` nodes with real line numbers. A file neither
parser accepts (Python 2, a real syntax error) raises ParseFailure with the line, and becomes a notice.
"""

from __future__ import annotations

import ast
import warnings


class ParseFailure(Exception):
    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


def parse_python(text: str, filename: str = "<file>") -> tuple[ast.Module, str]:
    """Return (tree, parser name): "ast" when the running interpreter parsed it, "libcst" for the fallback."""
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
    try:
        import libcst

        from .cst_to_ast import convert
    except ImportError:  # pragma: no cover - libcst is a hard dependency
        raise _failure(first_error) from None
    try:
        module = libcst.parse_module(text)
    except Exception:  # libcst.ParserSyntaxError and friends: the file is not Python of any version it knows
        raise _failure(first_error) from None
    try:
        return convert(module, text), "libcst"
    except Exception as exc:  # a converter gap must not lose the file silently
        raise ParseFailure(f"parsed with libcst but could not convert it ({exc.__class__.__name__}: {exc})") from None


def _failure(exc: BaseException) -> ParseFailure:
    if isinstance(exc, SyntaxError):
        where = f" at line {exc.lineno}" if exc.lineno else ""
        return ParseFailure(f"syntax error{where}: {exc.msg}; the file was not analysed", exc.lineno)
    if isinstance(exc, (RecursionError, MemoryError)):
        return ParseFailure(f"too deeply nested to parse ({exc.__class__.__name__}); the file was not analysed")
    return ParseFailure(f"could not parse ({exc.__class__.__name__}); the file was not analysed")
