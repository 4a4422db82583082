// `berth tokens create|list|revoke`: API tokens with a role (admin, deployer, viewer), limited
// to some apps or not, expiring or not. A token's plaintext is printed once, at creation.
import type { Command } from 'commander';
import { BerthError } from '../../core/errors.js';
import type { TokenInfo } from '../../sdk/token-types.js';
import type { CliContext } from '../context.js';
import { durationFlag } from '../duration-flag.js';
import { examples } from '../examples.js';
import { table } from '../output.js';

const ROLES = ['admin', 'deployer', 'viewer'] as const;
type GrantableRole = (typeof ROLES)[number];
const DAY_MS = 86_400_000;

interface CreateOptions {
  role: string;
  app: string[];
  expires?: number;
  json?: boolean;
}

export function registerTokens(program: Command, ctx: CliContext): void {
  const tokens = program
    .command('tokens')
    .description('Create, list and revoke API tokens (admin)')
    .addHelpText(
      'after',
      examples('berth tokens create ci-web --role deployer --app web --expires 90d', 'berth tokens list'),
    );

  tokens
    .command('create <name>')
    .description('Create a token and print it once (only its hash is kept)')
    .addHelpText(
      'after',
      examples(
        'berth tokens create alice --role viewer',
        'berth tokens create ci-web --role deployer --app web --expires 30d --json',
      ),
    )
    .option('--role <role>', 'admin, deployer (deploy, roll back, scale, secrets) or viewer (read)', 'viewer')
    .option('--app <app>', 'limit the token to this app (repeat for more; default every app)', collect, [])
    .option(
      '--expires <duration>',
      'stop working after this long, e.g. 30d or 12h (default never)',
      durationFlag('--expires', 60_000, 3650 * DAY_MS),
    )
    .option('--json', 'print JSON: {token, secret}')
    .action(async (name: string, opts: CreateOptions) => {
      if (!(ROLES as readonly string[]).includes(opts.role)) {
        throw new BerthError('invalid_request', `--role "${opts.role}" is not a role`, {
          hint: 'Use --role admin, --role deployer or --role viewer.',
        });
      }
      const created = await (
        await ctx.client()
      ).createToken({
        name,
        role: opts.role as GrantableRole,
        ...(opts.app.length > 0 && { apps: opts.app }),
        ...(opts.expires !== undefined && { expiresInSeconds: Math.round(opts.expires / 1000) }),
      });
      if (opts.json) return ctx.out.json(created);
      ctx.out.line(`Created token ${created.token.name} (${describe(created.token)}):`);
      ctx.out.line(`  ${created.secret}`);
      ctx.out.line('Copy it now: it will not be shown again. Use it as BERTH_TOKEN.');
    });

  tokens
    .command('list')
    .description('Every token not revoked: role, apps, expiry, who made it, last use')
    .addHelpText('after', examples('berth tokens list', 'berth tokens list --json'))
    .option('--json', 'print JSON: {tokens}')
    .action(async (opts: { json?: boolean }) => {
      const result = await (await ctx.client()).listTokens();
      if (opts.json) return ctx.out.json(result);
      ctx.out.line(
        table(
          ['NAME', 'ROLE', 'APPS', 'EXPIRES', 'CREATED', 'BY', 'LAST USED'],
          result.tokens.map((t) => [
            t.name,
            t.role,
            t.apps?.join(',') ?? 'all',
            t.expiresAt === null ? 'never' : `${t.expiresAt}${t.expired ? ' (expired)' : ''}`,
            t.createdAt,
            t.createdBy ?? '-',
            t.lastUsedAt ?? '-',
          ]),
        ),
      );
    });

  tokens
    .command('revoke <name>')
    .description('Revoke a token: it stops working at once')
    .addHelpText('after', examples('berth tokens revoke ci-web'))
    .option('--json', 'print JSON: {revoked}')
    .action(async (name: string, opts: { json?: boolean }) => {
      const result = await (await ctx.client()).revokeToken(name);
      if (opts.json) return ctx.out.json(result);
      ctx.out.line(`Revoked token ${name} (${describe(result.revoked)})`);
    });
}

function describe(t: TokenInfo): string {
  const apps = t.apps ? ` of ${t.apps.join(', ')}` : '';
  const expiry = t.expiresAt ? `, until ${t.expiresAt}` : '';
  return `${t.role}${apps}${expiry}`;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
