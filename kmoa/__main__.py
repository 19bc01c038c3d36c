"""`python -m kmoa` runs the command line."""

from kmoa.cli import main

main()
