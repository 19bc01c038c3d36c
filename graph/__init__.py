"""The curated knowledge graph of ketamine's mechanisms of action: records, model, paths, queries."""
