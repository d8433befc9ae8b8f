// doc: The lowest and highest internal node id of any Customer: where keyset pages start and end (cached by the API for seconds).
// example: {}
MATCH (c:Customer)
RETURN min(id(c)) AS lo, max(id(c)) AS hi
