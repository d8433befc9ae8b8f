// doc: The content hash of each Transaction that exists among $keys.
// example: {"keys": ["ex:transaction:1"]}
UNWIND $keys AS k
MATCH (a:Transaction {key: k})
RETURN a.key AS key, a.hash AS hash
