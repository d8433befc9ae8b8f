import { useCallback, useEffect, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { useClient } from "urql";
import cytoscape, { type Core } from "cytoscape";
import { elements, emptyGraph, expand, overlayPath, type MapGraph } from "../graph";
import { FindProspect, Neighbourhood, WarmPath } from "../queries";
import { errorText } from "../format";
import { ErrorNote, Loading } from "../components/States";

const STYLE: cytoscape.StylesheetJson = [
  { selector: "node", style: { label: "data(label)", "font-size": 10, "background-color": "#6b8fb5", width: 18, height: 18, "text-valign": "bottom", "text-margin-y": 3 } },
  { selector: "node.business", style: { shape: "round-rectangle", "background-color": "#b58f6b" } },
  { selector: "node.expanded", style: { "border-width": 2, "border-color": "#234" } },
  { selector: "node.root", style: { width: 28, height: 28, "background-color": "#1f5f99" } },
  { selector: "node.path", style: { "background-color": "#e07b00", "border-color": "#a04f00", "border-width": 3 } },
  { selector: "edge", style: { width: 1.5, "line-color": "#9ab", "curve-style": "bezier", "target-arrow-shape": "triangle", "target-arrow-color": "#9ab", label: "data(label)", "font-size": 8, color: "#567" } },
  { selector: "edge.referred", style: { "line-color": "#2a8a4a", "target-arrow-color": "#2a8a4a" } },
  { selector: "edge.path", style: { width: 4, "line-color": "#e07b00", "target-arrow-color": "#e07b00" } },
];

/** The relationship map around a customer: click to expand, a warm-intro path highlighted. */
export default function MapPage() {
  const { id = "" } = useParams();
  const client = useClient();
  const navigate = useNavigate();
  const box = useRef<HTMLDivElement>(null);
  const cy = useRef<Core | null>(null);
  const [graph, setGraph] = useState<MapGraph>(emptyGraph);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [target, setTarget] = useState("");
  const [pathNote, setPathNote] = useState<string | null>(null);

  const grow = useCallback(
    async (customerId: string, root = false) => {
      const result = await client.query(Neighbourhood, { id: customerId }).toPromise();
      if (result.error || !result.data) {
        setError(errorText(result.error) || `No customer ${customerId}`);
        return;
      }
      setGraph((g) => expand(g, result.data!.customer, root));
    },
    [client],
  );

  useEffect(() => {
    setGraph(emptyGraph());
    setLoading(true);
    void grow(id, true).finally(() => setLoading(false));
  }, [id, grow]);

  useEffect(() => {
    if (!box.current) return;
    const instance = cytoscape({ container: box.current, style: STYLE, minZoom: 0.3, maxZoom: 3 });
    cy.current = instance;
    return () => instance.destroy();
  }, []);

  // Expanding by click: the handler sees the graph through a ref, not a stale closure.
  const graphRef = useRef(graph);
  graphRef.current = graph;
  useEffect(() => {
    const instance = cy.current;
    if (!instance) return;
    const onTap = (event: cytoscape.EventObject) => {
      const nodeId = event.target.id() as string;
      const node = graphRef.current.nodes.get(nodeId);
      if (node && !node.expanded && /^C/.test(nodeId)) void grow(nodeId);
    };
    const onOpen = (event: cytoscape.EventObject) => navigate(`/customers/${event.target.id()}`);
    instance.on("tap", "node", onTap);
    instance.on("dbltap", "node", onOpen);
    return () => {
      instance.off("tap", "node", onTap);
      instance.off("dbltap", "node", onOpen);
    };
  }, [grow, navigate]);

  useEffect(() => {
    const instance = cy.current;
    if (!instance) return;
    instance.elements().remove();
    instance.add(elements(graph));
    instance.layout({ name: "cose", animate: false, randomize: false, nodeRepulsion: () => 8000 } as cytoscape.LayoutOptions).run();
  }, [graph]);

  async function findPath(event: React.FormEvent) {
    event.preventDefault();
    setPathNote(null);
    let to = target.trim();
    if (!to) return;
    if (!/^C[0-9a-f]{8,}$/i.test(to)) {
      // A name: the best search hit other than this customer is the prospect.
      const found = await client.query(FindProspect, { text: to }).toPromise();
      if (found.error) return setPathNote(errorText(found.error));
      const hit = found.data?.search.find((h) => h.customer.id !== id);
      if (!hit) return setPathNote(`No customer matches “${to}”.`);
      to = hit.customer.id;
    }
    const result = await client.query(WarmPath, { from: id, to }).toPromise();
    if (result.error) return setPathNote(errorText(result.error));
    const path = result.data?.path;
    if (!path) return setPathNote(`No connection found between ${id} and ${to}.`);
    setGraph((g) => overlayPath(g, path.steps));
    setPathNote(`Warm intro in ${path.length} hop${path.length === 1 ? "" : "s"}: ${path.steps.map((s) => s.label ?? `${s.kind} ${s.id}`).join(" → ")}`);
  }

  const nodes = [...graph.nodes.values()];
  return (
    <div className="map-page">
      <h1>Relationship map</h1>
      <p>
        <Link to={`/customers/${id}`}>Back to the 360 view</Link> · Click a customer to expand, double-click to open.
      </p>
      <form onSubmit={findPath} className="filters">
        <label>
          Warm intro to prospect <input value={target} onChange={(e) => setTarget(e.target.value)} placeholder="name or customer id" />
        </label>
        <button type="submit">Find path</button>
      </form>
      {pathNote && <p role="status" className="state notice">{pathNote}</p>}
      {loading && <Loading what="the map" />}
      <ErrorNote error={error} />
      <div ref={box} className="map" data-testid="map" role="img" aria-label={`Relationship map with ${nodes.length} customers`} />
      <details>
        <summary>The map as a list ({nodes.length} customers)</summary>
        <ul>
          {nodes.map((n) => (
            <li key={n.id}>
              <Link to={`/customers/${n.id}`}>{n.label}</Link> {n.onPath ? "(on the path)" : ""}
              {!n.expanded && /^C/.test(n.id) && (
                <button type="button" className="link" onClick={() => void grow(n.id)}>expand</button>
              )}
            </li>
          ))}
        </ul>
      </details>
    </div>
  );
}
