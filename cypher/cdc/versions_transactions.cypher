// doc: The stored row version, deleted flag and log position (`sor_lsn`, of the last change applied) of each Transaction among $keys (absent keys are not returned): what the apply worker compares an event's version with.
// example: {"keys": ["sor:transactions:EX9"]}
UNWIND $keys AS k
MATCH (a:Transaction {key: k})
RETURN a.key AS key, a.version AS version, a.deleted AS deleted, a.sor_lsn AS lsn
