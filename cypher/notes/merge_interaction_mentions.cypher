// doc: Create or update MENTIONS edges from a Interaction to the customers its text names (one per row, keyed by both ends and source 'nlp'): the label (PERSON/ORG/PHONE/EMAIL), the texts as written, how each was matched (name/phone/email), confidence, the model and when.
// writes: true
// example: {"rows": [{"key": "ex:interaction:1", "customer": "C0000000000000", "label": "PERSON", "texts": ["Jane Brown"], "matched": ["name"], "confidence": 0.8, "model": "rules", "at": 1}]}
UNWIND $rows AS row
MATCH (t:Interaction {key: row.key}), (c:Customer {id: row.customer})
MERGE (t)-[m:MENTIONS {source: 'nlp'}]->(c)
SET m.label = row.label, m.texts = row.texts, m.matched = row.matched, m.confidence = row.confidence,
    m.model = row.model, m.at = row.at
RETURN count(m) AS written
