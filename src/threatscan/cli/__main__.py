"""`python -m threatscan.cli`: the command line."""

from . import main

main()
