// doc: The content hash of each Interaction that exists among $keys.
// example: {"keys": ["ex:interaction:1"]}
UNWIND $keys AS k
MATCH (a:Interaction {key: k})
RETURN a.key AS key, a.hash AS hash
