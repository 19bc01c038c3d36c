// title: How well supported is each mechanistic hypothesis?
// Twin of hypothesis_evidence.rq: each hypothesis with its route, number of steps, and claims for and against it.
MATCH (h:Hypothesis)
WITH h, coalesce(h.supported_by, []) AS pro, coalesce(h.contradicted_by, []) AS con
RETURN h.id AS hypothesis, h.name AS name, h.route_number AS route, size(coalesce(h.step_claims, [])) AS steps,
       size([i IN range(0, size(pro) - 1) WHERE NOT pro[i] IN pro[..i]]) AS supporting,
       size([i IN range(0, size(con) - 1) WHERE NOT con[i] IN con[..i]]) AS contradicting
ORDER BY hypothesis
