// doc: The content hash of each Transaction that exists among $keys, and the Record it hangs off (record_key).
// example: {"keys": ["ex:transaction:1"]}
UNWIND $keys AS k
MATCH (a:Transaction {key: k})
OPTIONAL MATCH (r:Record)-[:HAS_TRANSACTION]->(a)
RETURN a.key AS key, a.hash AS hash, r.key AS record_key
