// doc: Records linked (SAME_AS, either way) to these Records: incremental resolution widens its view until it holds whole linked components, as a full run sees them.
// example: {"keys": ["crm:EX1"]}
UNWIND $keys AS k
MATCH (:Record {key: k})-[:SAME_AS]-(n:Record)
RETURN DISTINCT n.key AS key
