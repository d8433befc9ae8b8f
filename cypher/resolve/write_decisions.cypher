// doc: Append Decisions (the audit trail of identity): each is linked to the Customers it is about. Decisions are never changed, except that an undo sets undone_by.
// writes: true
// example: {"rows": [{"props": {"id": "D0000000000000", "action": "create", "actor": "model", "at": 1700000000000, "reason": "new record with no match", "customers": ["C0000000000000"], "records": ["crm:EX1"], "scores": "[]", "before": "{}"}, "customers": ["C0000000000000"]}]}
UNWIND $rows AS row
CREATE (d:Decision)
SET d = row.props
WITH d, row
UNWIND row.customers AS id
MATCH (c:Customer {id: id})
CREATE (d)-[:ABOUT]->(c)
RETURN count(d) AS written
