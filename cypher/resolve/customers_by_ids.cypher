// doc: The stored state of these Customers that a full run keeps across a merge, split or retirement (id, kind, name, status, merge pointer, creation time), merged ones included; the same fields resolve/record_state reads for the incremental path. Not their golden fields: a full run rebuilds those of the clusters that change.
// example: {"ids": ["C0000000000000"]}
UNWIND $ids AS id
MATCH (c:Customer {id: id})
RETURN c {.id, .kind, .status, .merged_into, .created_at, .name} AS customer
