// doc: The stored row version, deleted flag and log positions of the last upsert applied (`sor_lsn`) and of the row's last delete (`sor_deleted_lsn`) of each Transaction among $keys (absent keys are not returned): what the apply worker compares an event's version with, and the Record it hangs off now (record_key: whose customer's dates a change moves).
// example: {"keys": ["sor:transactions:EX9"]}
UNWIND $keys AS k
MATCH (a:Transaction {key: k})
OPTIONAL MATCH (r:Record)-[:HAS_TRANSACTION]->(a)
RETURN a.key AS key, a.version AS version, a.deleted AS deleted, a.sor_lsn AS lsn, a.sor_deleted_lsn AS deleted_lsn, r.key AS record_key
