// doc: Delete customer-to-customer relationships of one type written by one source (only what the mapper wrote: others' edges and the evidence stay).
// writes: true
// example: {"rows": [{"type": "KNOWS", "a": "C0000000000000", "b": "C0000000000001", "source": "derived"}]}
UNWIND $rows AS row
MATCH (a:Customer {id: row.a})-[e]->(b:Customer {id: row.b})
WHERE type(e) = row.type AND e.source = row.source
DELETE e
RETURN count(*) AS deleted
