// Table-driven: what `berth status` and `apps list` call an app, and when a machine is crash-looping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appState, isCrashLooping, type AppFacts, type AppState } from '../../src/core/app-state.js';

const started = { state: 'started', crashLooping: false };
const stopped = { state: 'stopped', crashLooping: false };
const base: AppFacts = {
  deployed: true,
  deploying: false,
  lastReleaseFailed: false,
  autoStops: false,
  machines: [started],
};

const apps: { name: string; facts: Partial<AppFacts>; want: AppState }[] = [
  { name: 'created, never deployed', facts: { deployed: false, machines: [] }, want: 'new' },
  {
    name: 'first deploy failed: never deployed',
    facts: { deployed: false, lastReleaseFailed: true, machines: [] },
    want: 'failed',
  },
  {
    name: 'first deploy running',
    facts: { deployed: false, deploying: true, machines: [] },
    want: 'deploying',
  },
  { name: 'a deploy running over a live release', facts: { deploying: true }, want: 'deploying' },
  { name: 'live with a started machine', facts: {}, want: 'deployed' },
  {
    name: 'a later release failed: the live one still serves',
    facts: { lastReleaseFailed: true },
    want: 'deployed',
  },
  {
    name: 'one machine crash-looping',
    facts: { machines: [started, { state: 'restarting', crashLooping: true }] },
    want: 'crashloop',
  },
  {
    name: 'every machine stopped by auto_stop',
    facts: { autoStops: true, machines: [stopped, stopped] },
    want: 'suspended',
  },
  { name: 'every machine stopped by hand', facts: { machines: [stopped] }, want: 'stopped' },
  { name: 'scaled to no machines', facts: { machines: [] }, want: 'stopped' },
  {
    name: 'auto_stop with one still started',
    facts: { autoStops: true, machines: [stopped, started] },
    want: 'deployed',
  },
];

for (const c of apps) {
  test(`app state: ${c.name}`, () => assert.equal(appState({ ...base, ...c.facts }), c.want));
}

const loops: { name: string; state: string; recentExits: number; upMs: number | null; want: boolean }[] = [
  { name: 'crashed once, restarting', state: 'restarting', recentExits: 1, upMs: null, want: false },
  {
    name: 'third crash, waiting for its restart',
    state: 'restarting',
    recentExits: 3,
    upMs: null,
    want: true,
  },
  { name: 'just restarted after many crashes', state: 'started', recentExits: 5, upMs: 2000, want: true },
  { name: 'up a minute after many crashes', state: 'started', recentExits: 5, upMs: 60_000, want: false },
  { name: 'stopped after many crashes', state: 'stopped', recentExits: 5, upMs: null, want: false },
  { name: 'running, never crashed', state: 'started', recentExits: 0, upMs: 100, want: false },
];

for (const c of loops) {
  test(`crash loop: ${c.name}`, () => assert.equal(isCrashLooping(c), c.want));
}
