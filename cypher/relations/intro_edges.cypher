// doc: The relationships warm introductions walk (REFERRED, KNOWS, HOUSEHOLD, COLLEAGUE, CO_ATTENDED; not the notes NLP's candidate referrals) between distinct active customers, as (a, b) pairs: the graph betweenness is computed on.
// example: {}
MATCH (a:Customer {status: 'active'})-[e:REFERRED|KNOWS|HOUSEHOLD|COLLEAGUE|CO_ATTENDED]->(b:Customer {status: 'active'})
WHERE a.id <> b.id AND coalesce(e.status, '') <> 'candidate'
RETURN a.id AS a, b.id AS b
