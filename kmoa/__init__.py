"""kmoa: the ketamine mechanism-of-action knowledge graph (command-line entry point)."""
