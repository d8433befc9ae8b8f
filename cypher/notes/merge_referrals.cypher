// doc: Create or update candidate REFERRED edges found in a note (one per row, keyed by both customers, source 'nlp' and the note's key, so edges written by anyone else are never touched): status 'candidate', confidence (also as strength), evidence, model and when.
// writes: true
// example: {"rows": [{"a": "C0000000000000", "b": "C0000000000001", "note": "ex:interaction:1", "confidence": 0.7, "evidence": ["interaction:ex:interaction:1", "phrase:referred by"], "model": "rules", "at": 1}]}
UNWIND $rows AS row
MATCH (a:Customer {id: row.a}), (b:Customer {id: row.b})
MERGE (a)-[e:REFERRED {source: 'nlp', note: row.note}]->(b)
SET e.status = 'candidate', e.confidence = row.confidence, e.strength = row.confidence,
    e.evidence = row.evidence, e.model = row.model, e.at = row.at
RETURN count(e) AS written
