// doc: Everything one incremental resolution writes, in one statement: verdicts on pairs ($pairs: a linked one is a SAME_AS edge, any other a MAYBE_SAME_AS edge, a row without status forgets the pair; earlier verdicts are replaced), Customers to create or replace ($customers), Records to point at their Customer ($assignments), Records deleted in the system of record to take out of theirs ($detach) and the Decisions behind it all ($decisions), as resolve/set_pairs, resolve/upsert_customers, resolve/assign, resolve/detach and resolve/write_decisions write them.
// writes: true
// example: {"pairs": [{"a": "crm:EX1", "b": "crm:org:example", "status": "review", "linked": false, "score": 0.7, "weight": 1.2, "by": "model", "at": 1700000000000}], "customers": [{"id": "C0000000000000", "props": {"id": "C0000000000000", "kind": "person", "status": "active", "created_at": 1700000000000, "updated_at": 1700000000000, "completeness": 0.5, "name": "Ann Example", "record_count": 1}}], "assignments": [{"key": "crm:EX1", "customer": "C0000000000000", "confidence": 0.99, "rule": "model", "at": 1700000000000}], "detach": ["crm:EX2"], "decisions": [{"props": {"id": "D0000000000000", "action": "create", "actor": "model", "at": 1700000000000, "reason": "new record with no match", "customers": ["C0000000000000"], "records": ["crm:EX1"], "scores": "[]", "before": "{}"}, "customers": ["C0000000000000"]}]}
UNWIND $pairs AS row
MATCH (a:Record {key: row.a}), (b:Record {key: row.b})
OPTIONAL MATCH (a)-[old:SAME_AS|MAYBE_SAME_AS]-(b)
DELETE old
WITH DISTINCT a, b, row
FOREACH (_ IN CASE WHEN row.status IS NOT NULL AND row.linked THEN [1] ELSE [] END |
  CREATE (a)-[:SAME_AS {status: row.status, score: row.score, weight: row.weight, by: row.by, at: row.at}]->(b))
FOREACH (_ IN CASE WHEN row.status IS NOT NULL AND NOT row.linked THEN [1] ELSE [] END |
  CREATE (a)-[:MAYBE_SAME_AS {status: row.status, score: row.score, weight: row.weight, by: row.by, at: row.at}]->(b))
WITH count(*) AS pairs_written
UNWIND $customers AS row
MERGE (c:Customer {id: row.id})
SET c = row.props
WITH count(*) AS customers_written
UNWIND $assignments AS row
MATCH (r:Record {key: row.key}), (c:Customer {id: row.customer})
OPTIONAL MATCH (r)-[old:RESOLVES_TO]->(:Customer)
DELETE old
WITH DISTINCT r, c, row
CREATE (r)-[:RESOLVES_TO {confidence: row.confidence, rule: row.rule, at: row.at}]->(c)
WITH count(*) AS assigned
UNWIND $detach AS k
OPTIONAL MATCH (:Record {key: k})-[gone:RESOLVES_TO]->(:Customer)
DELETE gone
WITH count(*) AS detached
UNWIND $decisions AS row
CREATE (d:Decision)
SET d = row.props
WITH d, row
UNWIND row.customers AS id
MATCH (c:Customer {id: id})
CREATE (d)-[:ABOUT]->(c)
RETURN count(DISTINCT d) AS written
