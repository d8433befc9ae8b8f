// doc: Mark a Decision as undone by a later one.
// writes: true
// example: {"id": "D0000000000000", "undone_by": "D0000000000001"}
MATCH (d:Decision {id: $id})
SET d.undone_by = $undone_by
RETURN d.id AS id
