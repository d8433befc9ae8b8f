// doc: The customers the given records resolve to, each with the records among them: whom a batch of applied changes concerns.
// example: {"keys": ["sor:00000000-0000-0000-0000-000000000000"]}
UNWIND $keys AS key
MATCH (:Record {key: key})-[:RESOLVES_TO]->(c:Customer)
RETURN c.id AS customer, collect(key) AS records
