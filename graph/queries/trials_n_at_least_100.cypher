// title: Which studies enrolled at least 100 participants?
// Twin of trials_n_at_least_100.rq: studies with n >= 100, largest first.
MATCH (s:Study)
WHERE s.n >= 100
RETURN s.id AS study, s.name AS name, s.n AS n, s.evidence_type AS evidence_type
ORDER BY n DESC, study
