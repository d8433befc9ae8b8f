// doc: Link the Interactions and Transactions parked (label Unlinked) because they arrived before the Record with these keys, and unpark them. Safe to run again.
// writes: true
// example: {"keys": ["crm:EX1"]}
UNWIND $keys AS k
MATCH (r:Record {key: k})
MATCH (a:Unlinked)
WHERE a.record_key = k
FOREACH (x IN CASE WHEN a:Interaction THEN [a] ELSE [] END | MERGE (r)-[:HAS_INTERACTION]->(x))
FOREACH (x IN CASE WHEN a:Transaction THEN [a] ELSE [] END | MERGE (r)-[:HAS_TRANSACTION]->(x))
REMOVE a:Unlinked
RETURN count(a) AS linked
