// doc: Relationships between active customers (REFERRED, KNOWS, HOUSEHOLD, COLLEAGUE): the graph link prediction learns from (PREDICTED_LINK edges are never read back as evidence).
// example: {}
MATCH (a:Customer {status: 'active'})-[e:REFERRED|KNOWS|HOUSEHOLD|COLLEAGUE]->(b:Customer {status: 'active'})
WHERE a.id <> b.id
RETURN type(e) AS type, a.id AS a, b.id AS b
