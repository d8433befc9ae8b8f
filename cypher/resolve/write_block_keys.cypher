// doc: Link Records to their blocking keys (BlockKey nodes), so a later record finds its candidates by a shared node, as it does through a shared email or phone. $rows name only keys a record is not linked to yet (the caller has read its links), so the link is created, not merged.
// writes: true
// example: {"rows": [{"key": "crm:EX1", "blocks": ["pn:XMPL|a", "np:ann example|st andrew"]}]}
UNWIND $rows AS row
MATCH (r:Record {key: row.key})
FOREACH (k IN row.blocks | MERGE (b:BlockKey {key: k}) CREATE (r)-[:BLOCKED_BY]->(b))
RETURN count(r) AS written
