// doc: How many nodes of each evidence label and edges of each type the graph holds, zeros included (WITH count() first: a constant next to an aggregate would group away the empty kinds).
// example: {}
MATCH (n:Record) WITH count(n) AS c RETURN 'Record' AS kind, c AS count
UNION ALL MATCH (n:Email) WITH count(n) AS c RETURN 'Email' AS kind, c AS count
UNION ALL MATCH (n:Phone) WITH count(n) AS c RETURN 'Phone' AS kind, c AS count
UNION ALL MATCH (n:Address) WITH count(n) AS c RETURN 'Address' AS kind, c AS count
UNION ALL MATCH (n:Handle) WITH count(n) AS c RETURN 'Handle' AS kind, c AS count
UNION ALL MATCH (n:Website) WITH count(n) AS c RETURN 'Website' AS kind, c AS count
UNION ALL MATCH (n:Interaction) WITH count(n) AS c RETURN 'Interaction' AS kind, c AS count
UNION ALL MATCH (n:Transaction) WITH count(n) AS c RETURN 'Transaction' AS kind, c AS count
UNION ALL MATCH ()-[e:HAS_EMAIL]->() WITH count(e) AS c RETURN 'HAS_EMAIL' AS kind, c AS count
UNION ALL MATCH ()-[e:HAS_PHONE]->() WITH count(e) AS c RETURN 'HAS_PHONE' AS kind, c AS count
UNION ALL MATCH ()-[e:LOCATED_AT]->() WITH count(e) AS c RETURN 'LOCATED_AT' AS kind, c AS count
UNION ALL MATCH ()-[e:HAS_HANDLE]->() WITH count(e) AS c RETURN 'HAS_HANDLE' AS kind, c AS count
UNION ALL MATCH ()-[e:HAS_WEBSITE]->() WITH count(e) AS c RETURN 'HAS_WEBSITE' AS kind, c AS count
UNION ALL MATCH ()-[e:WORKS_AT]->() WITH count(e) AS c RETURN 'WORKS_AT' AS kind, c AS count
UNION ALL MATCH ()-[e:HAS_INTERACTION]->() WITH count(e) AS c RETURN 'HAS_INTERACTION' AS kind, c AS count
UNION ALL MATCH ()-[e:HAS_TRANSACTION]->() WITH count(e) AS c RETURN 'HAS_TRANSACTION' AS kind, c AS count
