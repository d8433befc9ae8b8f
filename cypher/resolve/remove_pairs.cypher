// doc: Forget the verdict on these pairs of Records (both directions).
// writes: true
// example: {"rows": [{"a": "crm:EX1", "b": "crm:org:example"}]}
UNWIND $rows AS row
MATCH (a:Record {key: row.a})-[s:SAME_AS|MAYBE_SAME_AS]-(b:Record {key: row.b})
DELETE s
RETURN count(s) AS removed
