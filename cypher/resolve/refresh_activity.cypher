// doc: Store on each Customer among $ids, and on the Customer of each Record among $keys, its first purchase (first_bought: the earliest Transaction date) and its last activity (last_active: the latest Transaction date or Interaction day) over all its records, and when they were read (activity_at, epoch ms). Its lifecycle stage is computed from them (views/customer_stages and the customer filters), so every writer of activity or of a customer's records calls this for what it touched; null dates mean none (a lead).
// writes: true
// example: {"ids": ["C0000000000000"], "keys": ["crm:EX1"], "at": 1700000000000}
CALL {
  UNWIND $ids AS id
  MATCH (c:Customer {id: id})
  RETURN c
  UNION
  UNWIND $keys AS k
  MATCH (:Record {key: k})-[:RESOLVES_TO]->(c:Customer)
  RETURN c
}
// FalkorDB 4 grouped the aggregation below wrongly straight after the CALL (a customer
// without activity took another's dates): a WITH in between keeps each to its own.
WITH DISTINCT c
OPTIONAL MATCH (c)<-[:RESOLVES_TO]-(:Record)-[h:HAS_TRANSACTION|HAS_INTERACTION]->(a)
WITH c, min(CASE WHEN type(h) = 'HAS_TRANSACTION' THEN a.date END) AS first_bought,
     max(coalesce(a.date, substring(a.occurred_at, 0, 10))) AS last_active
SET c.first_bought = first_bought, c.last_active = last_active, c.activity_at = $at
RETURN count(c) AS refreshed
