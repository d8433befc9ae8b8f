// doc: One Decision with everything needed to explain or undo it.
// example: {"id": "D0000000000000"}
MATCH (d:Decision {id: $id})
RETURN d.id AS id, d.action AS action, d.actor AS actor, d.at AS at, d.reason AS reason,
  d.customers AS customers, d.records AS records, d.scores AS scores, d.before AS before,
  d.undone_by AS undone_by, d.undoes AS undoes
