"""Libraries: what the engines read (a language or a model of a kind of file). A library imports no engine, no
scan context, no registry and no check (tests/test_structure.py)."""
