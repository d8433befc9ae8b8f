// doc: The stored row version, deleted flag and Customer ids of each Record among $keys (absent keys are not returned): the apply worker compares versions, and re-resolves a record a crash left without a Customer.
// example: {"keys": ["crm:EX1", "sor:missing"]}
UNWIND $keys AS k
MATCH (r:Record {key: k})
RETURN r.key AS key, r.version AS version, r.deleted AS deleted, r.sor_lsn AS lsn,
  [(r)-[:RESOLVES_TO]->(c:Customer) | c.id] AS customers
