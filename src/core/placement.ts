// Where an app's machines may run on a driver that places them over several nodes (swarm):
// [deploy] placement constraints in Swarm's syntax, and primary_region, which means
// node.labels.region==X once any node carries a region label. Pure: judged against the nodes
// the driver lists, so a deploy that no live node could take is refused before it changes anything.

export interface Constraint {
  /** node.id, node.hostname, node.role, node.platform.os, node.platform.arch, node.labels.KEY, engine.labels.KEY */
  attribute: string;
  op: '==' | '!=';
  value: string;
}

/** A node as placement sees it. */
export interface PlacementNode {
  id: string;
  name: string;
  role: string;
  state: string;
  availability: string;
  labels: Record<string, string>;
}

const FIXED = ['node.id', 'node.hostname', 'node.role', 'node.platform.os', 'node.platform.arch'];
const LABEL = /^(node|engine)\.labels\.[A-Za-z0-9][A-Za-z0-9._-]*$/;
const VALUE = /^[^\s=!]+$/;
export const REGION_LABEL = 'region';

/** The constraint, or what is wrong with it (for a config error). */
export function parseConstraint(text: string): Constraint | string {
  const match = /^\s*([^=!\s]+)\s*(==|!=)\s*(.*?)\s*$/.exec(text);
  if (!match) return 'is not a constraint: write ATTRIBUTE==VALUE or ATTRIBUTE!=VALUE';
  const [, attribute, op, value] = match as unknown as [string, string, '==' | '!=', string];
  if (!FIXED.includes(attribute) && !LABEL.test(attribute)) {
    return `names no node attribute Swarm knows (${JSON.stringify(attribute)}): use node.labels.KEY, node.hostname, node.id, node.role, node.platform.os or node.platform.arch`;
  }
  if (!VALUE.test(value)) return `has no value after ${op} (or one with spaces, = or !)`;
  return { attribute, op, value };
}

/**
 * The constraints the machines run under: [deploy] placement, then node.labels.region==X for
 * primary_region when some node has a region label. note: why primary_region was left out.
 */
export function resolvePlacement(
  input: { placement?: string[]; primaryRegion?: string },
  nodes: PlacementNode[],
): { constraints: string[]; note?: string } {
  const constraints = [...(input.placement ?? [])];
  const region = input.primaryRegion;
  if (region === undefined || region === '') return { constraints };
  if (!nodes.some((n) => n.labels[REGION_LABEL] !== undefined)) {
    return {
      constraints,
      note: `primary_region "${region}" is ignored: no node carries a region label (berth nodes label NODE region=${region})`,
    };
  }
  return { constraints: [...constraints, `node.labels.${REGION_LABEL}==${region}`] };
}

/** Whether a node satisfies every constraint (Swarm compares values without regard to case). */
export function satisfies(node: PlacementNode, constraints: string[]): boolean {
  return constraints.every((text) => {
    const c = parseConstraint(text);
    if (typeof c === 'string') return false;
    const actual = attributeOf(node, c.attribute);
    if (actual === null) return true;
    const equal = actual !== undefined && actual.toLowerCase() === c.value.toLowerCase();
    return c.op === '==' ? equal : !equal;
  });
}

/** Nodes that are up and take new machines. */
export function liveNodes<N extends PlacementNode>(nodes: N[]): N[] {
  return nodes.filter((n) => n.state === 'ready' && n.availability === 'active');
}

/** null: an attribute berth does not see (engine labels, the platform), which Swarm judges alone. */
function attributeOf(node: PlacementNode, attribute: string): string | undefined | null {
  if (attribute === 'node.id') return node.id;
  if (attribute === 'node.hostname') return node.name;
  if (attribute === 'node.role') return node.role;
  if (attribute.startsWith('node.labels.')) return node.labels[attribute.slice('node.labels.'.length)];
  return null;
}

/** "vm (10.0.0.2): region=eu, disk=ssd; vm2 (...): no labels", for an error message. */
export function describeNodeLabels(nodes: (PlacementNode & { address?: string | null })[]): string {
  return nodes
    .map((n) => {
      const labels = Object.entries(n.labels).map(([k, v]) => `${k}=${v}`);
      const where = n.address ? ` (${n.address})` : '';
      return `${n.name}${where} ${n.id.slice(0, 12)} [${n.state}/${n.availability}]: ${labels.length > 0 ? labels.join(', ') : 'no labels'}`;
    })
    .join('; ');
}
