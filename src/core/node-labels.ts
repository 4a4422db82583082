// `berth nodes label NODE KEY=VALUE… KEY-…`: which labels to set and which to remove, and
// which node a name means. Pure: judged before the swarm is asked anything.
import { BerthError } from './errors.js';

export interface LabelChange {
  set: Record<string, string>;
  remove: string[];
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const VALUE = /^[^\s=!]{1,256}$/;

export function parseLabelChanges(args: string[]): LabelChange {
  const change: LabelChange = { set: {}, remove: [] };
  if (args.length === 0) {
    throw new BerthError('invalid_request', 'no label to set or remove', {
      hint: 'Write e.g. `berth nodes label NODE region=eu disk=ssd` or `berth nodes label NODE disk-`.',
    });
  }
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const key = eq >= 0 ? arg.slice(0, eq) : arg.endsWith('-') ? arg.slice(0, -1) : arg;
    if (!KEY.test(key)) {
      throw new BerthError(
        'invalid_request',
        `${JSON.stringify(arg)}: ${JSON.stringify(key)} is not a label key`,
        {
          hint: 'Keys are letters, digits, ".", "_" and "-", starting with a letter or digit, e.g. region=eu.',
        },
      );
    }
    if (eq >= 0) {
      const value = arg.slice(eq + 1);
      if (!VALUE.test(value)) {
        throw new BerthError(
          'invalid_request',
          `${JSON.stringify(arg)}: the value must be 1-256 characters without spaces, = or !`,
          {
            hint: 'Write e.g. region=eu; remove a label with KEY-.',
          },
        );
      }
      change.set[key] = value;
    } else if (arg.endsWith('-')) {
      change.remove.push(key);
    } else {
      throw new BerthError(
        'invalid_request',
        `${JSON.stringify(arg)} neither sets (KEY=VALUE) nor removes (KEY-) a label`,
        {
          hint: 'Write e.g. region=eu to set it, region- to remove it.',
        },
      );
    }
  }
  const both = change.remove.filter((k) => k in change.set);
  if (both.length > 0) {
    throw new BerthError('invalid_request', `label ${both.join(', ')} is both set and removed`, {
      hint: 'Give each key once.',
    });
  }
  return change;
}

/** The node a reference names: its id, the start of its id, its address or its hostname, when only one matches. */
export function pickNode<N extends { id: string; name: string; address: string | null }>(
  nodes: N[],
  ref: string,
): N {
  const exact = nodes.filter((n) => n.id === ref || n.address === ref);
  if (exact.length === 1) return exact[0]!;
  const loose = nodes.filter((n) => (ref.length >= 4 && n.id.startsWith(ref)) || n.name === ref);
  if (loose.length === 1) return loose[0]!;
  const known = nodes
    .map((n) => `${n.id.slice(0, 12)} (${n.name}${n.address ? `, ${n.address}` : ''})`)
    .join(', ');
  if (loose.length > 1) {
    throw new BerthError('node_not_found', `${JSON.stringify(ref)} names ${loose.length} nodes: ${known}`, {
      hint: 'Name the node by its id (or the start of it) or its address.',
    });
  }
  throw new BerthError('node_not_found', `no node ${JSON.stringify(ref)} in the swarm; the nodes: ${known}`);
}
