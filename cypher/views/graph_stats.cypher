// doc: How many nodes of each evidence label and edges of each type the graph holds.
// example: {}
MATCH (n:Record) RETURN 'Record' AS kind, count(n) AS count
UNION ALL MATCH (n:Email) RETURN 'Email' AS kind, count(n) AS count
UNION ALL MATCH (n:Phone) RETURN 'Phone' AS kind, count(n) AS count
UNION ALL MATCH (n:Address) RETURN 'Address' AS kind, count(n) AS count
UNION ALL MATCH (n:Handle) RETURN 'Handle' AS kind, count(n) AS count
UNION ALL MATCH (n:Website) RETURN 'Website' AS kind, count(n) AS count
UNION ALL MATCH (n:Interaction) RETURN 'Interaction' AS kind, count(n) AS count
UNION ALL MATCH (n:Transaction) RETURN 'Transaction' AS kind, count(n) AS count
UNION ALL MATCH ()-[e:HAS_EMAIL]->() RETURN 'HAS_EMAIL' AS kind, count(e) AS count
UNION ALL MATCH ()-[e:HAS_PHONE]->() RETURN 'HAS_PHONE' AS kind, count(e) AS count
UNION ALL MATCH ()-[e:LOCATED_AT]->() RETURN 'LOCATED_AT' AS kind, count(e) AS count
UNION ALL MATCH ()-[e:HAS_HANDLE]->() RETURN 'HAS_HANDLE' AS kind, count(e) AS count
UNION ALL MATCH ()-[e:HAS_WEBSITE]->() RETURN 'HAS_WEBSITE' AS kind, count(e) AS count
UNION ALL MATCH ()-[e:WORKS_AT]->() RETURN 'WORKS_AT' AS kind, count(e) AS count
UNION ALL MATCH ()-[e:HAS_INTERACTION]->() RETURN 'HAS_INTERACTION' AS kind, count(e) AS count
UNION ALL MATCH ()-[e:HAS_TRANSACTION]->() RETURN 'HAS_TRANSACTION' AS kind, count(e) AS count
