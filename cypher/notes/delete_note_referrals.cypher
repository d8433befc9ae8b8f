// doc: Delete the candidate REFERRED edges the notes pipeline wrote from each note (source 'nlp' and that note's key), found through the customers they may touch ($rows[].ends: the note's customer and those it mentioned); returns the pairs deleted. Run before writing a new analysis of the note.
// writes: true
// example: {"rows": [{"note": "ex:interaction:1", "ends": ["C0000000000000"]}]}
UNWIND $rows AS row
UNWIND row.ends AS end
MATCH (:Customer {id: end})-[e:REFERRED]-(:Customer)
WHERE e.source = 'nlp' AND e.note = row.note
WITH DISTINCT e
WITH e, e.note AS note, startNode(e).id AS a, endNode(e).id AS b
DELETE e
RETURN note, a, b
