// doc: Create or update FOLLOWS edges (one per row, keyed by both customers and the writing source), setting evidence, strength and when.
// writes: true
// example: {"rows": [{"a": "C0000000000000", "b": "C0000000000001", "source": "derived", "evidence": ["example"], "strength": 0.5, "at": 1}]}
UNWIND $rows AS row
MATCH (a:Customer {id: row.a}), (b:Customer {id: row.b})
MERGE (a)-[e:FOLLOWS {source: row.source}]->(b)
SET e.evidence = row.evidence, e.strength = row.strength, e.at = row.at
RETURN count(e) AS written
