// The wake gate: requests held for an app share one wake, each is released once, a client
// that leaves is dropped, and a wake that takes too long releases its requests with a 503.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { WakeGate, type WakeOutcome } from '../../src/proxy/wake-gate.js';

function deferred(): { promise: Promise<WakeOutcome>; resolve: (o: WakeOutcome) => void } {
  let resolve!: (o: WakeOutcome) => void;
  const promise = new Promise<WakeOutcome>((r) => (resolve = r));
  return { promise, resolve };
}

test('requests during a wake share it; each is released once with its outcome', async () => {
  const calls: string[] = [];
  const wakes = new Map<string, ReturnType<typeof deferred>>();
  const gate = new WakeGate((app) => {
    calls.push(app);
    const d = deferred();
    wakes.set(app, d);
    return d.promise;
  });
  const released: Array<[string, WakeOutcome]> = [];
  for (const [i, app] of ['a', 'a', 'b', 'a'].entries()) {
    gate.hold(app, new EventEmitter(), (o) => released.push([`${app}${i}`, o]));
  }
  assert.deepEqual(calls, ['a', 'b'], 'one wake per app');
  wakes.get('a')!.resolve({ woken: true });
  wakes.get('b')!.resolve({ woken: false, reason: 'b failed' });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(released.sort(), [
    ['a0', { woken: true }],
    ['a1', { woken: true }],
    ['a3', { woken: true }],
    ['b2', { woken: false, reason: 'b failed' }],
  ]);
  // The wake is over: the next request starts a new one.
  gate.hold('a', new EventEmitter(), () => {});
  assert.deepEqual(calls, ['a', 'b', 'a']);
});

test('a client that closes while held is dropped; the others still go on', async () => {
  const d = deferred();
  const gate = new WakeGate(() => d.promise);
  const gone = new EventEmitter();
  const stays = new EventEmitter();
  const released: string[] = [];
  gate.hold('a', gone, () => released.push('gone'));
  gate.hold('a', stays, () => released.push('stays'));
  gone.emit('close');
  d.resolve({ woken: true });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(released, ['stays']);
  assert.equal(gone.listenerCount('close'), 0);
  assert.equal(stays.listenerCount('close'), 0, 'its close listener is removed once released');
});

test('a wake longer than the hold limit releases the request with a 503 reason', async () => {
  const d = deferred();
  const gate = new WakeGate(() => d.promise, { maxHoldMs: 20 });
  const outcome = await new Promise<WakeOutcome>((resolve) => gate.hold('slow', new EventEmitter(), resolve));
  assert.equal(outcome.woken, false);
  assert.match(
    outcome.woken ? '' : (outcome.reason ?? ''),
    /app "slow" was starting a machine for this request/,
  );
  d.resolve({ woken: true });
});

test('a wake that throws releases its requests with a reason, not an exception', async () => {
  const logged: string[] = [];
  const gate = new WakeGate(() => Promise.reject(new Error('database is locked')), {
    log: (line) => logged.push(line),
  });
  const outcome = await new Promise<WakeOutcome>((resolve) => gate.hold('x', new EventEmitter(), resolve));
  assert.equal(outcome.woken, false);
  assert.match(outcome.woken ? '' : (outcome.reason ?? ''), /could not start a machine/);
  assert.doesNotMatch(
    outcome.woken ? '' : (outcome.reason ?? ''),
    /database is locked/,
    'internals stay out of the answer',
  );
  assert.deepEqual(logged, ['app x: waking a machine failed: Error: database is locked']);
});
