// doc: Record the verdict on pairs of Records that have no verdict yet, as resolve/set_pairs does, without looking for an earlier one to replace (a full run knows every pair that has one). Keys are ordered (a < b).
// writes: true
// example: {"rows": [{"a": "crm:EX1", "b": "crm:org:example", "status": "review", "linked": false, "score": 0.7, "weight": 1.2, "by": "model", "at": 1700000000000}]}
UNWIND $rows AS row
MATCH (a:Record {key: row.a}), (b:Record {key: row.b})
FOREACH (_ IN CASE WHEN row.linked THEN [1] ELSE [] END |
  CREATE (a)-[:SAME_AS {status: row.status, score: row.score, weight: row.weight, by: row.by, at: row.at}]->(b))
FOREACH (_ IN CASE WHEN row.linked THEN [] ELSE [1] END |
  CREATE (a)-[:MAYBE_SAME_AS {status: row.status, score: row.score, weight: row.weight, by: row.by, at: row.at}]->(b))
RETURN count(row) AS written
