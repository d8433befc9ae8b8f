// doc: Remove the RESOLVES_TO link of these Records (deleted in the system of record: they leave their Customer). The Records and their evidence stay.
// writes: true
// example: {"keys": ["crm:EX1"]}
UNWIND $keys AS k
MATCH (r:Record {key: k})-[l:RESOLVES_TO]->(:Customer)
DELETE l
RETURN count(l) AS detached
