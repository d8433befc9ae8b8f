// doc: The stored row version, deleted flag, log positions of the last upsert applied (sor_lsn) and of the row's last delete (sor_deleted_lsn), and Customer ids of each Record among $keys (absent keys are not returned): the apply worker compares versions and positions, and re-resolves a record a crash left without a Customer. (OPTIONAL MATCH and collect, not a pattern comprehension: FalkorDB ran that 3-4 times slower.)
// example: {"keys": ["crm:EX1", "sor:missing"]}
UNWIND $keys AS k
MATCH (r:Record {key: k})
OPTIONAL MATCH (r)-[:RESOLVES_TO]->(c:Customer)
RETURN r.key AS key, r.version AS version, r.deleted AS deleted, r.sor_lsn AS lsn, r.sor_deleted_lsn AS deleted_lsn,
  collect(c.id) AS customers
