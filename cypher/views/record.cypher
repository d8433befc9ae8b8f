// doc: One Record with its identifiers, employer and activity counts; no row if the key is unknown.
// example: {"key": "crm:EX1"}
MATCH (r:Record {key: $key})
RETURN r AS record,
       [(r)-[:HAS_EMAIL]->(x) | x.value] AS emails,
       [(r)-[:HAS_PHONE]->(x) | x.e164] AS phones,
       [(r)-[:LOCATED_AT]->(x) | x.key] AS addresses,
       [(r)-[:HAS_HANDLE]->(x) | x.key] AS handles,
       [(r)-[:HAS_WEBSITE]->(x) | x.domain] AS websites,
       [(r)-[:WORKS_AT]->(b) | b.key] AS works_at,
       size([(r)-[:HAS_INTERACTION]->(i) | i]) AS interactions,
       size([(r)-[:HAS_TRANSACTION]->(t) | t]) AS transactions
