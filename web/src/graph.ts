// The relationship map's data: customers and their links, grown one neighbourhood at a
// time, and a warm-intro path laid over it. Pure, so it is tested without a browser.

export interface MapNode { id: string; label: string; kind: string; expanded: boolean; root?: boolean; onPath?: boolean }
export interface MapEdge { id: string; source: string; target: string; type: string; strength: number | null; onPath?: boolean }
export interface MapGraph { nodes: Map<string, MapNode>; edges: Map<string, MapEdge> }

interface Ref { id: string; name: string | null; kind: string | null }
export interface Neighbourhood {
  id: string;
  name: string | null;
  kind: string;
  relationships: { type: string; direction: string; strength: number | null; other: Ref }[];
  employers: Ref[];
  staff: Ref[];
}
export interface PathStep { kind: string; id: string; label: string | null; via: string | null }

export function emptyGraph(): MapGraph {
  return { nodes: new Map(), edges: new Map() };
}

function edgeId(source: string, target: string, type: string): string {
  return `${source}-${type}-${target}`;
}

function addNode(graph: MapGraph, node: MapNode): void {
  const known = graph.nodes.get(node.id);
  graph.nodes.set(node.id, known ? { ...known, ...node, expanded: known.expanded || node.expanded, root: known.root || node.root, onPath: known.onPath || node.onPath } : node);
}

/** A copy of `graph` with one customer's neighbourhood added (the customer marked expanded). */
export function expand(graph: MapGraph, hood: Neighbourhood, root = false): MapGraph {
  const next: MapGraph = { nodes: new Map(graph.nodes), edges: new Map(graph.edges) };
  addNode(next, { id: hood.id, label: hood.name ?? hood.id, kind: hood.kind, expanded: true, root });
  const link = (other: Ref, type: string, outward: boolean, strength: number | null) => {
    addNode(next, { id: other.id, label: other.name ?? other.id, kind: other.kind ?? "person", expanded: false });
    const [source, target] = outward ? [hood.id, other.id] : [other.id, hood.id];
    const id = edgeId(source, target, type);
    if (!next.edges.has(id)) next.edges.set(id, { id, source, target, type, strength });
  };
  for (const r of hood.relationships) link(r.other, r.type, r.direction === "out", r.strength);
  for (const e of hood.employers) link(e, "WORKS_AT", true, null);
  for (const s of hood.staff) link(s, "WORKS_AT", false, null);
  return next;
}

/** A copy of `graph` with a path's steps and hops added and marked (earlier marks cleared). */
export function overlayPath(graph: MapGraph, steps: PathStep[]): MapGraph {
  const next: MapGraph = {
    nodes: new Map([...graph.nodes].map(([k, n]) => [k, { ...n, onPath: false }])),
    edges: new Map([...graph.edges].map(([k, e]) => [k, { ...e, onPath: false }])),
  };
  steps.forEach((step, i) => {
    const known = next.nodes.get(step.id);
    next.nodes.set(step.id, known ? { ...known, onPath: true } : { id: step.id, label: step.label ?? `${step.kind} ${step.id}`, kind: step.kind.toLowerCase(), expanded: false, onPath: true });
    if (i === 0) return;
    const prev = steps[i - 1].id;
    const type = step.via ?? "LINK";
    const forward = edgeId(prev, step.id, type);
    const backward = edgeId(step.id, prev, type);
    const existing = next.edges.get(forward) ?? next.edges.get(backward);
    if (existing) next.edges.set(existing.id, { ...existing, onPath: true });
    else next.edges.set(forward, { id: forward, source: prev, target: step.id, type, strength: null, onPath: true });
  });
  return next;
}

/** Cytoscape's element list. */
export function elements(graph: MapGraph): { group: "nodes" | "edges"; data: Record<string, unknown>; classes: string }[] {
  return [
    ...[...graph.nodes.values()].map((n) => ({
      group: "nodes" as const,
      data: { id: n.id, label: n.label },
      classes: [n.kind, n.root ? "root" : "", n.expanded ? "expanded" : "", n.onPath ? "path" : ""].filter(Boolean).join(" "),
    })),
    ...[...graph.edges.values()].map((e) => ({
      group: "edges" as const,
      data: { id: e.id, source: e.source, target: e.target, label: e.type.toLowerCase() },
      classes: [e.type.toLowerCase(), e.onPath ? "path" : ""].filter(Boolean).join(" "),
    })),
  ];
}
