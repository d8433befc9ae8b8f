// doc: Record the verdict on scored pairs of Records: a linked pair (accepted, or probable and awaiting a steward's confirmation) is a SAME_AS edge, what clustering follows; any other verdict (review, rejected, not sure) is a MAYBE_SAME_AS edge. Any earlier verdict on the pair is replaced. Keys are ordered (a < b).
// writes: true
// example: {"rows": [{"a": "crm:EX1", "b": "crm:org:example", "status": "review", "linked": false, "score": 0.7, "weight": 1.2, "by": "model", "at": 1700000000000}]}
UNWIND $rows AS row
MATCH (a:Record {key: row.a}), (b:Record {key: row.b})
OPTIONAL MATCH (a)-[old:SAME_AS|MAYBE_SAME_AS]-(b)
DELETE old
WITH DISTINCT a, b, row
FOREACH (_ IN CASE WHEN row.linked THEN [1] ELSE [] END |
  CREATE (a)-[:SAME_AS {status: row.status, score: row.score, weight: row.weight, by: row.by, at: row.at}]->(b))
FOREACH (_ IN CASE WHEN row.linked THEN [] ELSE [1] END |
  CREATE (a)-[:MAYBE_SAME_AS {status: row.status, score: row.score, weight: row.weight, by: row.by, at: row.at}]->(b))
RETURN count(row) AS written
