// title: What are esketamine's adverse effects and contraindications?
// Twin of esketamine_safety.rq: adverse effects and contraindications claimed for esketamine.
MATCH (:Entity {id: 'CHEBI:60799'})-[r:has_adverse_effect|contraindicated_in]->(o:Entity)
RETURN type(r) AS predicate, o.id AS object, o.name AS name, r.id AS claim, r.finding AS finding,
       r.review_section AS section
ORDER BY predicate, object, claim
