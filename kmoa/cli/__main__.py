"""`python -m kmoa.cli` runs the command line."""

from kmoa.cli import main

main()
