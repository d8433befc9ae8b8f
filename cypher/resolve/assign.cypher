// doc: Point Records at their Customer (RESOLVES_TO), replacing the link each had before.
// writes: true
// example: {"rows": [{"key": "crm:EX1", "customer": "C0000000000000", "confidence": 0.99, "rule": "model", "at": 1700000000000}]}
UNWIND $rows AS row
MATCH (r:Record {key: row.key}), (c:Customer {id: row.customer})
OPTIONAL MATCH (r)-[old:RESOLVES_TO]->(:Customer)
DELETE old
WITH DISTINCT r, c, row
CREATE (r)-[:RESOLVES_TO {confidence: row.confidence, rule: row.rule, at: row.at}]->(c)
RETURN count(r) AS written
