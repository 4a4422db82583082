// What an app has besides machines: secret names (never values), volumes, hostnames and their
// certificates.
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { errorBox } from '../errors.js';

interface Secrets {
  secrets: { name: string; updatedAt?: string }[];
  pending: { set: string[]; unset: string[] };
}
interface Volume {
  id: string;
  name: string;
  size: string;
  machineId: string | null;
}
interface Certs {
  certificates: { hostname: string; source: string; issuer: string; notAfter: string }[];
}

function list(items: Node[], empty: string): HTMLElement {
  return items.length === 0 ? h('p', { class: 'muted' }, empty) : h('ul', {}, items);
}

export class ResourcesSection {
  readonly element = h('section', { class: 'resources' });
  private readonly secrets = h('div', { class: 'secrets' });
  private readonly volumes = h('div', { class: 'volumes' });
  private readonly hostnames = h('div', { class: 'hostnames' });

  constructor(private readonly app: string) {
    replace(
      this.element,
      h('div', {}, h('h2', {}, 'Secrets'), this.secrets),
      h('div', {}, h('h2', {}, 'Volumes'), this.volumes),
      h('div', {}, h('h2', {}, 'Hostnames'), this.hostnames),
    );
  }

  async refresh(): Promise<void> {
    const base = `/v1/apps/${encodeURIComponent(this.app)}`;
    const [secrets, volumes, certs] = await Promise.allSettled([
      api<Secrets>(`${base}/secrets`),
      api<Volume[]>(`${base}/volumes`),
      api<Certs>(`${base}/certs`),
    ]);
    if (secrets.status === 'rejected') replace(this.secrets, errorBox(secrets.reason));
    else {
      const staged = [...secrets.value.pending.set, ...secrets.value.pending.unset];
      replace(
        this.secrets,
        list(
          secrets.value.secrets.map((s) => h('li', { class: 'mono' }, s.name)),
          'No secrets.',
        ),
        staged.length > 0
          ? h('p', { class: 'hint' }, `Staged, not yet deployed: ${staged.join(', ')}`)
          : null,
      );
    }
    if (volumes.status === 'rejected') replace(this.volumes, errorBox(volumes.reason));
    else
      replace(
        this.volumes,
        list(
          volumes.value.map((v) =>
            h(
              'li',
              {},
              h('span', { class: 'mono' }, v.name),
              ` ${v.size}, `,
              v.machineId ? `on ${v.machineId}` : 'unattached',
            ),
          ),
          'No volumes.',
        ),
      );
    if (certs.status === 'rejected') replace(this.hostnames, errorBox(certs.reason));
    else
      replace(
        this.hostnames,
        list(
          certs.value.certificates.map((c) =>
            h(
              'li',
              {},
              h('span', { class: 'mono' }, c.hostname),
              ` ${c.source}, valid until ${c.notAfter.slice(0, 10)}`,
            ),
          ),
          'No hostnames besides the default URL.',
        ),
      );
  }
}
