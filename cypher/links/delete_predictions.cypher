// doc: Delete PREDICTED_LINK edges of one kind between the given customers (predictions a newer run no longer makes); nothing else is touched.
// writes: true
// example: {"rows": [{"a": "C0000000000000", "b": "C0000000000001", "kind": "ANY"}]}
UNWIND $rows AS row
MATCH (a:Customer {id: row.a})-[e:PREDICTED_LINK]->(b:Customer {id: row.b})
WHERE e.kind = row.kind
DELETE e
RETURN count(*) AS deleted
