"""The HTTP endpoints: SPARQL 1.1 Protocol and TRAPI."""
