// doc: The newest $limit interactions of each of $ids (through its records), and how many there are in all.
// example: {"ids": ["C0000000000000"], "limit": 20}
UNWIND $ids AS id
MATCH (:Customer {id: id})<-[:RESOLVES_TO]-(:Record)-[:HAS_INTERACTION]->(i:Interaction)
WITH id, i ORDER BY i.occurred_at DESC, i.key
WITH id, collect(i {.*}) AS items
RETURN id, items[0..$limit] AS items, size(items) AS total
