// doc: Delete candidate REFERRED edges the notes pipeline wrote from a note that no longer supports them (source 'nlp' and that note's key only).
// writes: true
// example: {"rows": [{"a": "C0000000000000", "b": "C0000000000001", "note": "ex:interaction:1"}]}
UNWIND $rows AS row
MATCH (a:Customer {id: row.a})-[e:REFERRED]->(b:Customer {id: row.b})
WHERE e.source = 'nlp' AND e.note = row.note
DELETE e
RETURN count(*) AS deleted
