"""Readers and writers of file formats: RDF, KGX, GraphML and Cytoscape, DrugMechDB, SHACL."""
