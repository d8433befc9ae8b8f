// doc: Create or replace Records (changed rows, and business records derived from several rows): the node's properties are replaced, its identifier edges dropped and re-linked to what the row says now. Identifier nodes themselves are never deleted (other records share them). One batch is one atomic statement.
// writes: true
// example: {"rows": [{"props": {"key": "crm:EX1", "source": "crm", "source_id": "EX1", "kind": "person", "hash": "h2", "ingested_at": 1700000000001, "name": "Ann Example-Smith"}, "emails": ["ann.smith@example.com"], "phones": [], "addresses": [], "handles": [], "websites": [], "works_at": ["crm:org:example"]}]}
UNWIND $rows AS row
MERGE (r:Record {key: row.props.key})
SET r = row.props
WITH r, row
OPTIONAL MATCH (r)-[old:HAS_EMAIL|HAS_PHONE|LOCATED_AT|HAS_HANDLE|HAS_WEBSITE|WORKS_AT]->()
DELETE old
WITH DISTINCT r, row
FOREACH (v IN row.emails | MERGE (x:Email {value: v}) MERGE (r)-[:HAS_EMAIL]->(x))
FOREACH (v IN row.phones | MERGE (x:Phone {e164: v}) MERGE (r)-[:HAS_PHONE]->(x))
FOREACH (a IN row.addresses | MERGE (x:Address {key: a.key}) ON CREATE SET x = a MERGE (r)-[:LOCATED_AT]->(x))
FOREACH (h IN row.handles | MERGE (x:Handle {key: h.key}) ON CREATE SET x = h MERGE (r)-[:HAS_HANDLE]->(x))
FOREACH (v IN row.websites | MERGE (x:Website {domain: v}) MERGE (r)-[:HAS_WEBSITE]->(x))
FOREACH (k IN row.works_at | MERGE (b:Record {key: k}) MERGE (r)-[:WORKS_AT]->(b))
RETURN count(r) AS written
