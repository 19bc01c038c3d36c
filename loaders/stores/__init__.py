"""Stores behind one interface: Oxigraph on disk, Neo4j, remote SPARQL, and the SPARQL engine."""
