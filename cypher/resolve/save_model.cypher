// doc: Store the trained scoring model of one record kind (JSON), replacing the previous one.
// writes: true
// example: {"kind": "person", "params_json": "{}", "trained_at": 1700000000000}
MERGE (m:MatchModel {kind: $kind})
SET m.params_json = $params_json, m.trained_at = $trained_at
RETURN m.kind AS kind
