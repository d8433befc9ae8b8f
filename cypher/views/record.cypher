// doc: One Record with its identifiers, employer and activity counts; no row if the key is unknown.
// example: {"key": "crm:EX1"}
MATCH (r:Record {key: $key})
RETURN r AS record,
       [(r)-[:HAS_EMAIL]->(e) | e.value] AS emails,
       [(r)-[:HAS_PHONE]->(p) | p.e164] AS phones,
       [(r)-[:LOCATED_AT]->(a) | a.key] AS addresses,
       [(r)-[:HAS_HANDLE]->(h) | h.key] AS handles,
       [(r)-[:HAS_WEBSITE]->(w) | w.domain] AS websites,
       [(r)-[:WORKS_AT]->(b) | b.key] AS works_at,
       size([(r)-[:HAS_INTERACTION]->(i) | i]) AS interactions,
       size([(r)-[:HAS_TRANSACTION]->(t) | t]) AS transactions
