// `berth nodes list`: the swarm's nodes, where machines are placed: each one's address, state,
// availability, labels and the machines running there.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { table } from '../output.js';
import { examples } from '../examples.js';
import { parseLabelChanges } from '../../core/node-labels.js';

export function registerNodes(program: Command, ctx: CliContext): void {
  const nodes = program
    .command('nodes')
    .description('The hosts machines are placed on (swarm driver)')
    .addHelpText(
      'after',
      examples('berth nodes list', 'berth nodes list --json', 'berth nodes label 10.0.0.11 region=eu'),
    );

  nodes
    .command('list')
    .description("Each swarm node: address, role, state, availability, labels and berth's machines on it")
    .addHelpText('after', examples('berth nodes list', 'berth nodes list --json'))
    .option('--json', 'print JSON: {driver, nodes}')
    .action(async (opts: { json?: boolean }) => {
      const result = await (await ctx.client()).listNodes();
      if (opts.json) return ctx.out.json(result);
      ctx.out.line(
        table(
          ['NAME', 'ADDRESS', 'ROLE', 'STATE', 'AVAILABILITY', 'LABELS', 'MACHINES'],
          result.nodes.map((node) => [
            node.name,
            node.address ?? '-',
            node.leader ? `${node.role} (leader)` : node.role,
            node.state,
            node.availability,
            Object.entries(node.labels)
              .map(([key, value]) => `${key}=${value}`)
              .join(',') || '-',
            node.machines.length === 0
              ? '-'
              : `${node.machines.length}: ${node.machines.map((m) => `${m.id} (${m.app})`).join(', ')}`,
          ]),
        ),
      );
    });

  registerNodeLabel(nodes, ctx);
}

export function registerNodeLabel(nodes: Command, ctx: CliContext): void {
  nodes
    .command('label <node> <labels...>')
    .description(
      "Set (KEY=VALUE) and remove (KEY-) a swarm node's labels; [deploy] placement and primary_region match them",
    )
    .addHelpText(
      'after',
      examples(
        'berth nodes label 10.0.0.11 region=eu disk=ssd',
        'berth nodes label 4f1c2a9e region-',
        'berth nodes label worker-2 region=us --json',
      ),
    )
    .option('--json', 'print JSON: the node after the change')
    .action(async (node: string, labels: string[], opts: { json?: boolean }) => {
      const change = parseLabelChanges(labels);
      const after = await (await ctx.client()).labelNode(node, change);
      if (opts.json) return ctx.out.json(after);
      const text = Object.entries(after.labels)
        .map(([key, value]) => `${key}=${value}`)
        .join(', ');
      ctx.out.line(
        `Node ${after.name} (${after.address ?? after.id.slice(0, 12)}) labels: ${text || 'none'}`,
      );
    });
}
