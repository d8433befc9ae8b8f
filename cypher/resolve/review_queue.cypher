// doc: Pairs waiting for a data steward, most likely matches first: probable matches the model linked (confirm or reject) and possible ones it did not (accept or reject). $window is $skip + $limit (a LIMIT takes no expression on FalkorDB).
// example: {"skip": 0, "limit": 20, "window": 20}
// One branch per type, each read from its status index and cut to the window: a pattern
// over both types scans every pair edge instead (100k demo people: 0.74 s a page, 33 ms
// this way; the rows are the same). The page first, then its customers.
CALL {
  MATCH (a)-[s:SAME_AS]->(b) WHERE s.status = 'probable'
  WITH a, b, s ORDER BY s.score DESC, a.key, b.key LIMIT $window
  RETURN a, b, s
  UNION ALL
  MATCH (a)-[s:MAYBE_SAME_AS]->(b) WHERE s.status = 'review'
  WITH a, b, s ORDER BY s.score DESC, a.key, b.key LIMIT $window
  RETURN a, b, s
}
WITH a, b, s ORDER BY s.score DESC, a.key, b.key SKIP $skip LIMIT $limit
RETURN a.key AS a, a.name AS a_name, b.key AS b, b.name AS b_name, s.score AS score,
  s.weight AS weight, s.status AS status, type(s) = 'SAME_AS' AS linked,
  [(a)-[:RESOLVES_TO]->(ca:Customer) | ca.id] AS a_customers,
  [(b)-[:RESOLVES_TO]->(cb:Customer) | cb.id] AS b_customers
ORDER BY score DESC, a, b
