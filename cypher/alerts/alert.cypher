// doc: One Alert by id.
// example: {"id": "A0000000000000"}
MATCH (a:Alert {id: $id})
RETURN a {.*} AS alert
