"""`python -m threatscan`: the command line (the same as the `threatscan` command)."""

from .cli import main

main()
