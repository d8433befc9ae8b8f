// doc: The stored state of these Customers (all properties), merged ones included.
// example: {"ids": ["C0000000000000"]}
UNWIND $ids AS id
MATCH (c:Customer {id: id})
RETURN c {.*} AS customer
