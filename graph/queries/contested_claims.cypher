// title: Which claims are contested, null, negative or mixed?
// Twin of contested_claims.rq: claims marked contested or whose finding is not positive.
MATCH (s:Entity)-[r]->(o:Entity)
WHERE r.contested = true OR r.finding <> 'positive'
RETURN r.id AS claim, s.id AS subject, type(r) AS predicate, o.id AS object, r.finding AS finding,
       r.contested AS contested, r.review_section AS section
ORDER BY claim
