// doc: Delete the MENTIONS edges the notes pipeline wrote from these Records (before writing what a new analysis found); edges from anyone else stay.
// writes: true
// example: {"keys": ["crm:EX1"]}
UNWIND $keys AS key
MATCH (:Record {key: key})-[m:MENTIONS]->(:Customer)
WHERE m.source = 'nlp'
DELETE m
RETURN count(*) AS deleted
