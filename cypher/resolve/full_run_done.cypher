// doc: Note on the model of each kind when the full run that just resolved its records began: a record ingested before then is resolved as it is (resolve/pending).
// writes: true
// example: {"kinds": ["person"], "at": 1700000000000}
UNWIND $kinds AS kind
MATCH (m:MatchModel {kind: kind})
SET m.full_run_at = $at
RETURN count(m) AS models
