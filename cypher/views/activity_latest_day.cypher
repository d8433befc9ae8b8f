// doc: The latest day (ISO date) of any dated purchase and of any dated interaction in the graph: the data's "today" that customer stages are measured from, as the score models measure from it (cached by the API).
// example: {}
MATCH (t:Transaction) WITH max(t.date) AS day RETURN day
UNION ALL MATCH (i:Interaction) WITH max(i.date) AS day RETURN day
