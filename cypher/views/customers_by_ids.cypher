// doc: Customers (golden records) by id, merged ones included (status, merged_into), for the API's batched loads.
// example: {"ids": ["C0000000000000"]}
UNWIND $ids AS id
MATCH (c:Customer {id: id})
RETURN c {.*} AS customer
