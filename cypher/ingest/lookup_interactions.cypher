// doc: The content hash of each Interaction that exists among $keys, and the Record it hangs off (record_key).
// example: {"keys": ["ex:interaction:1"]}
UNWIND $keys AS k
MATCH (a:Interaction {key: k})
OPTIONAL MATCH (r:Record)-[:HAS_INTERACTION]->(a)
RETURN a.key AS key, a.hash AS hash, r.key AS record_key
