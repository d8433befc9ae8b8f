// doc: The PREDICTED_LINK edges of one predicted kind (what a new write-back compares with, to remove the stale ones).
// example: {"kind": "ANY"}
MATCH (a:Customer)-[e:PREDICTED_LINK]->(b:Customer)
WHERE e.kind = $kind
RETURN a.id AS a, b.id AS b, e.model AS model, e.probability AS probability
