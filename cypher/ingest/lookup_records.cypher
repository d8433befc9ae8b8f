// doc: The content hash of each Record that exists among $keys (absent keys are not returned).
// example: {"keys": ["crm:EX1", "crm:missing"]}
UNWIND $keys AS k
MATCH (r:Record {key: k})
RETURN r.key AS key, r.hash AS hash
