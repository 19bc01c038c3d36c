// title: Which compounds act on AMPA receptors?
// Twin of compounds_on_ampa.rq: every compound with a claim whose object is the AMPA receptor complex.
MATCH (c:Compound)-[r]->(:Entity {id: 'GO:0032281'})
RETURN DISTINCT c.id AS compound, c.name AS name, type(r) AS predicate
ORDER BY compound, predicate
