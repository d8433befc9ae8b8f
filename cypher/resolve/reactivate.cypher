// doc: Bring merged Customers back (an undone merge): active again, no merged_into.
// writes: true
// example: {"ids": ["C0000000000000"]}
UNWIND $ids AS id
MATCH (c:Customer {id: id})
SET c.status = 'active', c.merged_into = null
RETURN count(c) AS written
