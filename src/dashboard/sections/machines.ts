// Machines: state, health (crash looping or not), uptime, restarts.
import { badge, duration, h, replace } from '../dom.js';
import type { Machine } from '../types.js';

export class MachinesSection {
  readonly element = h('section', { class: 'machines' });
  private readonly body = h('tbody');

  constructor() {
    replace(
      this.element,
      h('h2', {}, 'Machines'),
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            [
              'Machine',
              'Group',
              'Release',
              'State',
              'Health',
              'Uptime',
              'Restarts (1h / all)',
              'Last exit',
            ].map((t) => h('th', {}, t)),
          ),
        ),
        this.body,
      ),
    );
  }

  show(machines: Machine[]): void {
    if (machines.length === 0) {
      replace(this.body, h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No machines.')));
      return;
    }
    replace(
      this.body,
      machines.map((m) =>
        h(
          'tr',
          { 'data-machine': m.id },
          h('td', { class: 'mono' }, m.id),
          h('td', {}, m.processGroup),
          h('td', {}, `v${m.releaseVersion}`),
          h('td', {}, badge(m.state)),
          h('td', {}, m.crashLooping ? badge('crashloop') : m.state === 'started' ? badge('ok') : '—'),
          h('td', {}, duration(m.uptimeSeconds)),
          h('td', {}, `${m.restartsLastHour} / ${m.restarts}`),
          h('td', {}, m.lastExit ?? '—'),
        ),
      ),
    );
  }
}
