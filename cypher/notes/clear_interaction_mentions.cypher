// doc: Delete the MENTIONS edges the notes pipeline wrote from these Interactions (before writing what a new analysis found); edges from anyone else stay.
// writes: true
// example: {"keys": ["ex:interaction:1"]}
UNWIND $keys AS key
MATCH (:Interaction {key: key})-[m:MENTIONS]->(:Customer)
WHERE m.source = 'nlp'
DELETE m
RETURN count(*) AS deleted
