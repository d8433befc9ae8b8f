// doc: Records deleted in the system of record that still resolve to a Customer, with that Customer: a full run detaches them (and retires a Customer left with none).
// example: {}
MATCH (r:Record)-[:RESOLVES_TO]->(c:Customer)
WHERE r.deleted = true
RETURN r.key AS key, c.id AS customer
ORDER BY key
