"""The `kmoa` command line."""
