"""Reports render findings; they never compute anything. One module per format."""

from __future__ import annotations

FORMATS = ("text", "sarif", "json", "markdown", "html")
