// `berth nodes list`: the swarm's nodes, where machines are placed: each one's address, state,
// availability, labels and the machines running there.
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { table } from '../output.js';
import { examples } from '../examples.js';

export function registerNodes(program: Command, ctx: CliContext): void {
  const nodes = program
    .command('nodes')
    .description('The hosts machines are placed on (swarm driver)')
    .addHelpText('after', examples('berth nodes list', 'berth nodes list --json'));

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
}
