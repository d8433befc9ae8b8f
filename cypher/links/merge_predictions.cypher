// doc: Create or update PREDICTED_LINK edges (one per row, keyed by both customers and the predicted kind) with the probability, the model that predicted it, the structural features behind it, the customers in common (via) and when.
// writes: true
// example: {"rows": [{"a": "C0000000000000", "b": "C0000000000001", "kind": "ANY", "probability": 0.9, "model": "links-example", "common_neighbours": 2, "adamic_adar": 1.4, "resource_allocation": 0.5, "jaccard": 0.25, "preferential_attachment": 12, "distance": 2, "paths3": 1, "via": ["C0000000000002"], "at": 1}]}
UNWIND $rows AS row
MATCH (a:Customer {id: row.a}), (b:Customer {id: row.b})
MERGE (a)-[e:PREDICTED_LINK {kind: row.kind}]->(b)
SET e.probability = row.probability, e.model = row.model,
    e.common_neighbours = row.common_neighbours, e.adamic_adar = row.adamic_adar,
    e.resource_allocation = row.resource_allocation, e.jaccard = row.jaccard,
    e.preferential_attachment = row.preferential_attachment, e.distance = row.distance,
    e.paths3 = row.paths3, e.via = row.via, e.at = row.at
RETURN count(e) AS written
