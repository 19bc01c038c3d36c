// title: What differs between ketamine and esketamine?
// Twin of ketamine_vs_esketamine.rq: (predicate, object) pairs the review asserts for one of racemic
// ketamine and esketamine but not the other (study links left out; negated, null, mixed and
// insufficient claims are not assertions, as in RDF's direct triples).
UNWIND [['CHEBI:6121', 'CHEBI:60799'], ['CHEBI:60799', 'CHEBI:6121']] AS pair
MATCH (x:Entity {id: pair[0]})-[r]->(o:Entity), (y:Entity {id: pair[1]})
WHERE type(r) <> 'tested_in' AND coalesce(r.asserted, true)
  AND NOT EXISTS { MATCH (y)-[r2]->(o) WHERE type(r2) = type(r) AND coalesce(r2.asserted, true) }
RETURN DISTINCT pair[0] AS compound, type(r) AS predicate, o.id AS object, o.name AS name
ORDER BY compound, predicate, object
