// doc: The stored scoring model of one record kind, if any.
// example: {"kind": "person"}
MATCH (m:MatchModel {kind: $kind})
RETURN m.params_json AS params_json, m.trained_at AS trained_at
