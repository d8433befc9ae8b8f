// doc: Pairs waiting for a data steward (status review), most likely matches first.
// example: {"skip": 0, "limit": 20}
MATCH (a:Record)-[s:MAYBE_SAME_AS]->(b:Record)
WHERE s.status = 'review'
RETURN a.key AS a, a.name AS a_name, b.key AS b, b.name AS b_name, s.score AS score,
  s.weight AS weight, s.explanation AS explanation,
  [(a)-[:RESOLVES_TO]->(ca:Customer) | ca.id] AS a_customers,
  [(b)-[:RESOLVES_TO]->(cb:Customer) | cb.id] AS b_customers
ORDER BY s.score DESC, a.key, b.key
SKIP $skip LIMIT $limit
