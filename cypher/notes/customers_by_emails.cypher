// doc: For each email address (canonical form) mentioned in notes, the active customers whose records hold it.
// example: {"values": ["someone@example.com"]}
UNWIND $values AS value
MATCH (:Email {value: value})<-[:HAS_EMAIL]-(:Record)-[:RESOLVES_TO]->(c:Customer {status: 'active'})
RETURN value, collect(DISTINCT c.id) AS customers
