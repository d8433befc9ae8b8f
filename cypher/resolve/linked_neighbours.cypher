// doc: Records linked (SAME_AS, either way) to these Records that are not among them: incremental resolution widens its view until it holds whole linked components, as a full run sees them.
// example: {"keys": ["crm:EX1"]}
UNWIND $keys AS k
MATCH (:Record {key: k})-[:SAME_AS]-(n:Record)
WHERE NOT n.key IN $keys
RETURN DISTINCT n.key AS key
