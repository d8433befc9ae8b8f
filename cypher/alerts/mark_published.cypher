// doc: Note that these Alerts were published: a replayed event publishes again only the Alerts whose publishing was cut short.
// writes: true
// example: {"ids": ["A0000000000000"], "at": 1700000000000}
UNWIND $ids AS id
MATCH (a:Alert {id: id})
SET a.published_at = $at
RETURN count(a) AS written
