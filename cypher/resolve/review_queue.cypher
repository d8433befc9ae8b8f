// doc: Pairs waiting for a data steward, most likely matches first: probable matches the model linked (confirm or reject) and possible ones it did not (accept or reject).
// example: {"skip": 0, "limit": 20}
MATCH (a:Record)-[s:SAME_AS|MAYBE_SAME_AS]->(b:Record)
WHERE s.status IN ['probable', 'review']
// The page first, then its customers: projected before the sort, the customers of every
// waiting pair were read (147k pairs at 1M demo rows: 4.9 s a page, 1.2 s this way).
WITH a, b, s ORDER BY s.score DESC, a.key, b.key SKIP $skip LIMIT $limit
RETURN a.key AS a, a.name AS a_name, b.key AS b, b.name AS b_name, s.score AS score,
  s.weight AS weight, s.status AS status, type(s) = 'SAME_AS' AS linked,
  [(a)-[:RESOLVES_TO]->(ca:Customer) | ca.id] AS a_customers,
  [(b)-[:RESOLVES_TO]->(cb:Customer) | cb.id] AS b_customers
ORDER BY score DESC, a, b
