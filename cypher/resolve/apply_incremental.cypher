// doc: Everything one incremental resolution writes, in one statement: verdicts on pairs ($pairs: a linked one is a SAME_AS edge, any other a MAYBE_SAME_AS edge, a row without status forgets the pair; earlier verdicts are replaced), Customers to create or rebuild ($customers; their scores, influence, community and betweenness stay), Records to point at their Customer ($assignments), Records deleted in the system of record to take out of theirs ($detach) and the Decisions behind it all ($decisions), as resolve/set_pairs, resolve/upsert_customers, resolve/assign, resolve/detach and resolve/write_decisions write them.
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
// What other jobs keep on a Customer (`c360 scores`: scores/write; `c360 relations`:
// relations/write_scores; the activity dates graph/customer_activity.py keeps) outlives
// its rebuild: read before the golden record replaces the rest, set again after.
// (`SET c += row.props` with nulls for the fields gone says the same, but FalkorDB 4
// then loses and keeps the wrong properties.)
WITH c, row, [c.churn_risk, c.churn_factors, c.lead_score, c.lead_factors, c.lifetime_value,
  c.value_factors, c.scores_model, c.scores_at, c.scores_basis, c.influence, c.community,
  c.betweenness, c.first_bought, c.last_active, c.activity_at] AS kept
SET c = row.props
SET c.churn_risk = kept[0], c.churn_factors = kept[1], c.lead_score = kept[2],
  c.lead_factors = kept[3], c.lifetime_value = kept[4], c.value_factors = kept[5],
  c.scores_model = kept[6], c.scores_at = kept[7], c.scores_basis = kept[8],
  c.influence = kept[9], c.community = kept[10], c.betweenness = kept[11],
  c.first_bought = kept[12], c.last_active = kept[13], c.activity_at = kept[14]
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
