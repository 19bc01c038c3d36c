// title: What supports IV ketamine in treatment-resistant depression, and at what level?
// Twin of iv_ketamine_trd_evidence.rq: claims from racemic ketamine to TRD given intravenously, with the
// population when narrower than TRD. Regimen comparisons are Comparison nodes, not ketamine -> TRD claims.
MATCH (:Entity {id: 'CHEBI:6121'})-[r]->(:Entity {id: 'EFO:0009854'})
WHERE r.route = 'intravenous'
RETURN r.id AS claim, type(r) AS predicate, r.evidence_type AS evidence_type, r.canmat_level AS canmat_level,
       r.finding AS finding, r.population_context_qualifier AS population, r.review_section AS section
ORDER BY claim
