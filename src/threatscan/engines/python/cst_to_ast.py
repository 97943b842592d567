"""Convert a libcst Module into an equivalent standard-library `ast.Module` with line/column positions.

Placeholder: the full converter is being written. Until then the fallback parser reports the file as not analysed.
"""

from __future__ import annotations

import ast


def convert(module) -> ast.Module:  # noqa: ANN001
    raise NotImplementedError("the libcst-to-ast converter is not written yet")
