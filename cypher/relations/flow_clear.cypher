// doc: Delete the transient INFLUENCE_FLOW projection edges.
// writes: true
// example: {}
MATCH (:Customer)-[f:INFLUENCE_FLOW]->(:Customer)
DELETE f
RETURN count(*) AS deleted
