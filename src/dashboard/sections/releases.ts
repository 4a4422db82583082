// Releases, newest first: who made each and when, its status, and (for those who may) a
// button that rolls back to it after a confirmation.
import { api } from '../api.js';
import { confirmAction } from '../dialogs.js';
import { ago, badge, h, replace } from '../dom.js';
import { errorBox } from '../errors.js';
import { canDeploy } from '../session.js';
import type { Release } from '../types.js';

export class ReleasesSection {
  readonly element = h('section', { class: 'releases' });
  private readonly notice = h('div', { class: 'notice' });
  private readonly body = h('tbody');

  constructor(
    private readonly app: string,
    private readonly changed: () => void,
  ) {
    replace(
      this.element,
      h('h2', {}, 'Releases'),
      this.notice,
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Release', 'Status', 'By', 'When', 'Description', ''].map((t) => h('th', {}, t)),
          ),
        ),
        this.body,
      ),
    );
  }

  show(releases: Release[], current: number | null): void {
    replace(
      this.body,
      releases.map((r) =>
        h(
          'tr',
          { 'data-release': r.version },
          h(
            'td',
            {},
            `v${r.version}`,
            r.version === current ? h('span', { class: 'current' }, ' (current)') : null,
          ),
          h('td', {}, badge(r.status), r.failureReason ? h('div', { class: 'hint' }, r.failureReason) : null),
          h('td', { class: 'by' }, r.createdBy),
          h('td', {}, h('span', { title: r.createdAt }, ago(r.createdAt))),
          h('td', {}, r.description),
          h(
            'td',
            {},
            canDeploy(this.app) && current !== null && r.version !== current && r.status !== 'failed'
              ? h(
                  'button',
                  { type: 'button', class: 'rollback', onclick: () => void this.rollback(r.version) },
                  'Roll back',
                )
              : null,
          ),
        ),
      ),
    );
  }

  private async rollback(version: number): Promise<void> {
    const ok = await confirmAction(
      `Roll back ${this.app} to v${version}?`,
      `A new release is made from v${version}'s code and config, with the app's current secrets, and rolled out as a deploy is.`,
      'Roll back',
    );
    if (!ok) return;
    try {
      const answer = await api<{ release: Release }>(`/v1/apps/${encodeURIComponent(this.app)}/rollback`, {
        method: 'POST',
        body: { version },
      });
      replace(
        this.notice,
        h('p', { class: 'ok' }, `Rolling back: v${answer.release.version} made from v${version}.`),
      );
    } catch (err) {
      replace(this.notice, errorBox(err));
    }
    this.changed();
  }
}
