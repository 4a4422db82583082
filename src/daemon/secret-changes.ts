// Changing an app's secrets: stage a change, and apply what is staged with a new release of
// the current artifact and config (deployed like any other, under the app's deploy lock), or
// just store it when the app has no release yet. Values pass through to the vault only.
import { BerthError, isBerthError } from '../core/errors.js';
import type { Deployment, Release } from '../core/model.js';
import {
  isEmptyChange,
  secretsReleaseDescription,
  summarizeChange,
  type SecretChange,
} from '../core/secret-change.js';
import type { SecretEdit, SecretVault } from '../secrets/vault.js';
import type { Store } from '../store/store.js';
import type { Deployer } from './deployer.js';

export type SecretsOutcome =
  /** Kept aside for `secrets deploy`. */
  | { outcome: 'staged'; change: SecretChange; pending: SecretChange }
  /** Current, but the app has no release to deploy: its first deploy uses them. */
  | { outcome: 'stored'; change: SecretChange }
  /** A release carrying them is rolling out. */
  | { outcome: 'deploying'; change: SecretChange; release: Release; deployment: Deployment };

export interface SecretChangesDeps {
  store: Store;
  secrets: SecretVault;
  deployer: Deployer;
}

export class SecretChanges {
  constructor(private readonly deps: SecretChangesDeps) {}

  /** `secrets set|unset`: stages the edit, then deploys everything staged unless `stage`. */
  async change(
    app: string,
    edit: SecretEdit,
    options: { user: string; stage: boolean; lockWaitMs: number | undefined },
  ): Promise<SecretsOutcome> {
    const change = this.deps.secrets.stage(app, edit, options.user);
    if (!options.stage) return this.applyStaged(app, options.user, options.lockWaitMs);
    this.deps.store.events.append({
      app,
      kind: 'secrets.staged',
      message: `secrets staged by ${options.user}: ${summarizeChange(change)}`,
      data: { ...change },
    });
    return { outcome: 'staged', change, pending: this.deps.secrets.pending(app) };
  }

  /** `secrets deploy`: applies what is staged; refused when nothing is. */
  async deployStaged(app: string, user: string, lockWaitMs: number | undefined): Promise<SecretsOutcome> {
    if (isEmptyChange(this.deps.secrets.pending(app))) {
      throw new BerthError('nothing_staged', `app "${app}" has no staged secret changes`);
    }
    return this.applyStaged(app, user, lockWaitMs);
  }

  /** Everything staged, by a new release when the app has one, else just stored. */
  private async applyStaged(
    app: string,
    user: string,
    lockWaitMs: number | undefined,
  ): Promise<SecretsOutcome> {
    const pending = this.deps.secrets.pending(app);
    let started;
    try {
      started = await this.deps.deployer.redeployCurrent(app, {
        description: secretsReleaseDescription(pending),
        user,
        lockWaitMs,
        applyStagedSecrets: true,
      });
    } catch (err) {
      if (!isBerthError(err)) throw err;
      throw new BerthError(err.code, err.message, {
        hint: `${err.hint} The secret changes stay staged: \`berth secrets deploy -a ${app}\` applies them.`,
        details: err.details,
      });
    }
    if (started) {
      return {
        outcome: 'deploying',
        change: pending,
        release: started.release,
        deployment: started.deployment,
      };
    }
    const running = this.deps.store.deployments.running(app);
    if (running) {
      // Its machines would start some with the old set and some with the new.
      throw new BerthError(
        'deploy_in_progress',
        `app "${app}" is deploying its first release, v${running.releaseVersion}`,
        {
          hint: `The secret changes stay staged: \`berth secrets deploy -a ${app}\` applies them once it is done.`,
        },
      );
    }
    const applied = this.deps.secrets.applyStaged(app) ?? pending;
    this.deps.store.events.append({
      app,
      kind: 'secrets.stored',
      message: `secrets ${summarizeChange(applied)} by ${user}; no release yet: the first deploy uses them`,
      data: { ...applied },
    });
    return { outcome: 'stored', change: applied };
  }
}
