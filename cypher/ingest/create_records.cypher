// doc: Create Records known to be new, with their identifier nodes and edges. One batch is one atomic statement. The caller guarantees no key in $rows exists yet (it looked them up), so CREATE is safe and much cheaper than MERGE; identifier nodes are shared and are MERGEd.
// writes: true
// example: {"rows": [{"props": {"key": "crm:EX2", "source": "crm", "source_id": "EX2", "kind": "person", "hash": "h1", "ingested_at": 1700000000000, "name": "Ann Example"}, "emails": ["ann@example.com"], "phones": ["+18765550101"], "addresses": [{"key": "1 example rd|kingston 5|st andrew|jm", "line1": "1 Example Rd", "city": "Kingston", "parish": "St. Andrew", "postal_zone": "Kingston 5", "country": "JM"}], "handles": [{"key": "instagram:ann.example", "platform": "instagram", "value": "ann.example"}], "websites": ["example.com"], "works_at": ["crm:org:example"]}]}
UNWIND $rows AS row
CREATE (r:Record)
SET r = row.props
FOREACH (v IN row.emails | MERGE (x:Email {value: v}) CREATE (r)-[:HAS_EMAIL]->(x))
FOREACH (v IN row.phones | MERGE (x:Phone {e164: v}) CREATE (r)-[:HAS_PHONE]->(x))
FOREACH (a IN row.addresses | MERGE (x:Address {key: a.key}) ON CREATE SET x = a CREATE (r)-[:LOCATED_AT]->(x))
FOREACH (h IN row.handles | MERGE (x:Handle {key: h.key}) ON CREATE SET x = h CREATE (r)-[:HAS_HANDLE]->(x))
FOREACH (v IN row.websites | MERGE (x:Website {domain: v}) CREATE (r)-[:HAS_WEBSITE]->(x))
FOREACH (k IN row.works_at | MERGE (b:Record {key: k}) CREATE (r)-[:WORKS_AT]->(b))
RETURN count(r) AS written
