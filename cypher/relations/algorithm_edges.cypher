// doc: REFERRED (not the notes NLP's unconfirmed candidates) and KNOWS edges between active customers, the graph influence and communities are computed on where the store has no algorithms of its own.
// example: {}
MATCH (a:Customer {status: 'active'})-[e:REFERRED|KNOWS]->(b:Customer {status: 'active'})
WHERE a.id <> b.id AND coalesce(e.status, '') <> 'candidate'
RETURN type(e) AS type, a.id AS a, b.id AS b
