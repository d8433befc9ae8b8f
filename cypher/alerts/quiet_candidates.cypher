// doc: Every active customer with its influence and the date of its latest interaction or transaction (null when it has none): what the quiet check ranks and measures.
// example: {}
MATCH (c:Customer {status: 'active'})
OPTIONAL MATCH (c)<-[:RESOLVES_TO]-(:Record)-[:HAS_INTERACTION|HAS_TRANSACTION]->(a)
WHERE a.date IS NOT NULL
RETURN c.id AS id, c.influence AS influence, max(a.date) AS last_activity
