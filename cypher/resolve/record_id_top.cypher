// doc: The greatest internal node id a Record has (null in a graph without records): where the full run's read windows end.
// example: {}
MATCH (r:Record)
RETURN max(id(r)) AS top
