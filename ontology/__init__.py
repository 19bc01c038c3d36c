"""The kmoa schema: node kinds, predicates and their Biolink / OBO mappings."""
