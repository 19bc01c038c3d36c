// title: What are the steps of the disinhibition hypothesis (Fig. 1, route 1)?
// Twin of disinhibition_steps.rq: the ordered steps of KMOA:hyp_disinhibition.
MATCH (h:Hypothesis {id: 'KMOA:hyp_disinhibition'})
UNWIND range(0, size(h.step_claims) - 1) AS i
MATCH (s:Entity)-[r]->(o:Entity)
WHERE r.id = h.step_claims[i]
RETURN i + 1 AS step, r.id AS claim, s.id AS subject, type(r) AS predicate, o.id AS object,
       h.step_captions[i] AS caption
ORDER BY step
