import { describe, expect, it } from "vitest";
import { elements, emptyGraph, expand, overlayPath, type Neighbourhood } from "./graph";

const ann: Neighbourhood = {
  id: "C1", name: "Ann Brown", kind: "person",
  relationships: [
    { type: "REFERRED", direction: "out", strength: 1, other: { id: "C2", name: "Bob Chin", kind: "person" } },
    { type: "KNOWS", direction: "in", strength: 0.5, other: { id: "C3", name: null, kind: null } },
  ],
  employers: [{ id: "C9", name: "Brown's Hardware", kind: "business" }],
  staff: [],
};
const bob: Neighbourhood = {
  id: "C2", name: "Bob Chin", kind: "person",
  relationships: [{ type: "REFERRED", direction: "in", strength: 1, other: { id: "C1", name: "Ann Brown", kind: "person" } }],
  employers: [], staff: [],
};

describe("relationship map", () => {
  it("adds a neighbourhood with edges in the right direction", () => {
    const g = expand(emptyGraph(), ann, true);
    expect([...g.nodes.keys()].sort()).toEqual(["C1", "C2", "C3", "C9"]);
    expect(g.nodes.get("C1")).toMatchObject({ root: true, expanded: true });
    expect(g.nodes.get("C3")?.label).toBe("C3");
    expect(g.edges.has("C1-REFERRED-C2")).toBe(true);
    expect(g.edges.has("C3-KNOWS-C1")).toBe(true);
    expect(g.edges.has("C1-WORKS_AT-C9")).toBe(true);
  });

  it("expanding a neighbour adds no duplicate edge and keeps the root", () => {
    const g = expand(expand(emptyGraph(), ann, true), bob);
    expect(g.edges.size).toBe(3);
    expect(g.nodes.get("C2")?.expanded).toBe(true);
    expect(g.nodes.get("C1")?.root).toBe(true);
  });

  it("overlays a warm-intro path through nodes not yet on the map", () => {
    const g = overlayPath(expand(emptyGraph(), ann, true), [
      { kind: "Customer", id: "C1", label: "Ann Brown", via: null },
      { kind: "Customer", id: "C2", label: "Bob Chin", via: "REFERRED" },
      { kind: "Phone", id: "+1876*****12", label: null, via: "HAS_PHONE" },
    ]);
    expect(g.edges.get("C1-REFERRED-C2")?.onPath).toBe(true);
    expect(g.nodes.get("+1876*****12")).toMatchObject({ onPath: true, kind: "phone" });
    expect(g.edges.get("C3-KNOWS-C1")?.onPath).toBe(false);
    const again = overlayPath(g, []);
    expect([...again.nodes.values()].some((n) => n.onPath)).toBe(false);
    const classes = elements(g).filter((e) => e.classes.includes("path"));
    expect(classes).toHaveLength(5);
  });
});
