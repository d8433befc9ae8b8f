// doc: Which Customer every Record resolves to, one page at a time in key order (for evaluation and export).
// example: {"after": "", "limit": 10}
MATCH (r:Record)-[:RESOLVES_TO]->(c:Customer)
WHERE r.key > $after
WITH r, c ORDER BY r.key LIMIT $limit
RETURN r.key AS key, c.id AS customer
