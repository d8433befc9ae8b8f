// doc: Customer-to-customer relationships (REFERRED, KNOWS, HOUSEHOLD, COLLEAGUE) between active customers, for the score models' degree and referral features.
// example: {}
MATCH (a:Customer {status: 'active'})-[e:REFERRED|KNOWS|HOUSEHOLD|COLLEAGUE]->(b:Customer {status: 'active'})
WHERE a.id <> b.id
RETURN type(e) AS type, a.id AS a, b.id AS b
