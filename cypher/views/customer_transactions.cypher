// doc: The newest $limit transactions of each of $ids (through its records), how many there are and their total amount per currency.
// example: {"ids": ["C0000000000000"], "limit": 20}
UNWIND $ids AS id
MATCH (:Customer {id: id})<-[:RESOLVES_TO]-(:Record)-[:HAS_TRANSACTION]->(t:Transaction)
WITH id, t ORDER BY t.date DESC, t.key
WITH id, collect(t {.*}) AS items
RETURN id, items[0..$limit] AS items, size(items) AS total
