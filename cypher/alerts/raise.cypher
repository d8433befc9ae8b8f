// doc: Raise Alerts about one Customer, each hung off it by ABOUT. Idempotent: an Alert's id derives from its rule and its event, so a replayed event finds the Alert it raised before (fresh: false) and changes nothing.
// writes: true
// example: {"customer_id": "C0000000000000", "rows": [{"id": "A0000000000000", "rule_id": "R0000000000000", "rule_name": "Big spend", "rep": "rep-1", "message": "Big spend: amount 25000 (when amount > 10000)", "at": 1700000000000, "event_id": "1700000000000-0", "event_kind": "transaction.recorded", "event_at": 1700000000000}]}
MATCH (c:Customer {id: $customer_id})
UNWIND $rows AS row
OPTIONAL MATCH (old:Alert {id: row.id})
WITH c, row, old IS NULL AS fresh
MERGE (a:Alert {id: row.id})
ON CREATE SET a.rule_id = row.rule_id, a.rule_name = row.rule_name, a.customer_id = c.id,
  a.rep = row.rep, a.status = 'open', a.message = row.message, a.at = row.at,
  a.event_id = row.event_id, a.event_kind = row.event_kind, a.event_at = row.event_at,
  a.updated_at = row.at
WITH c, a, fresh
FOREACH (_ IN CASE WHEN fresh THEN [1] ELSE [] END | CREATE (a)-[:ABOUT]->(c))
RETURN a {.*} AS alert, fresh
