// doc: How many Records the graph holds (deleted ones too): what a full resolution run would read, against which apply weighs resolving a catch-up's backlog record by record.
// example: {}
MATCH (r:Record)
RETURN count(r) AS records
