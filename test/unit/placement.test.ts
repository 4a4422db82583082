import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BerthError } from '../../src/core/errors.js';
import { parseLabelChanges, pickNode } from '../../src/core/node-labels.js';
import {
  parseConstraint,
  resolvePlacement,
  satisfies,
  type PlacementNode,
} from '../../src/core/placement.js';
import { normalizeConfig } from '../../src/core/config/normalize.js';

test('parseConstraint: Swarm syntax accepted, anything else says what is wrong', () => {
  const cases: Array<[string, string | RegExp]> = [
    ['node.labels.region==eu', 'node.labels.region==eu'],
    [' node.role != manager ', 'node.role!=manager'],
    ['node.hostname==worker-2', 'node.hostname==worker-2'],
    ['engine.labels.gpu==yes', 'engine.labels.gpu==yes'],
    ['region==eu', /names no node attribute/],
    ['node.labels.region=eu', /is not a constraint/],
    ['node.labels.region==', /has no value/],
    ['node.labels.region==e u', /has no value/],
    ['node.labels.==eu', /names no node attribute/],
  ];
  for (const [text, want] of cases) {
    const got = parseConstraint(text);
    if (typeof want === 'string') {
      assert.notEqual(typeof got, 'string', text);
      const c = got as Exclude<typeof got, string>;
      assert.equal(`${c.attribute}${c.op}${c.value}`, want);
    } else assert.match(got as string, want, text);
  }
});

const node = (id: string, labels: Record<string, string>, role = 'worker'): PlacementNode => ({
  id,
  name: 'vm',
  role,
  state: 'ready',
  availability: 'active',
  labels,
});

test('satisfies: labels, role and id; a missing label fails == and passes !=; engine labels are left to Swarm', () => {
  const eu = node('n1', { region: 'eu', disk: 'ssd' });
  const bare = node('n2', {}, 'manager');
  const cases: Array<[PlacementNode, string[], boolean]> = [
    [eu, ['node.labels.region==eu'], true],
    [eu, ['node.labels.region==EU'], true],
    [eu, ['node.labels.region==us'], false],
    [bare, ['node.labels.region==eu'], false],
    [bare, ['node.labels.region!=eu'], true],
    [eu, ['node.labels.region==eu', 'node.labels.disk==hdd'], false],
    [bare, ['node.role==manager'], true],
    [eu, ['node.id==n1'], true],
    [eu, ['engine.labels.gpu==yes'], true],
    [eu, [], true],
  ];
  for (const [n, constraints, want] of cases)
    assert.equal(satisfies(n, constraints), want, constraints.join());
});

test('resolvePlacement: primary_region counts only once a node has a region label', () => {
  assert.deepEqual(resolvePlacement({ placement: ['node.role!=manager'] }, []), {
    constraints: ['node.role!=manager'],
  });
  const unlabelled = resolvePlacement({ primaryRegion: 'fra' }, [node('a', {})]);
  assert.deepEqual(unlabelled.constraints, []);
  assert.match(unlabelled.note!, /primary_region "fra" is ignored: no node carries a region label/);
  assert.deepEqual(resolvePlacement({ primaryRegion: 'fra' }, [node('a', { region: 'ams' })]), {
    constraints: ['node.labels.region==fra'],
  });
});

test('parseLabelChanges: KEY=VALUE sets, KEY- removes, the rest is refused with a hint', () => {
  assert.deepEqual(parseLabelChanges(['region=eu', 'disk-', 'a.b_c=1']), {
    set: { region: 'eu', 'a.b_c': '1' },
    remove: ['disk'],
  });
  for (const bad of [[], ['region'], ['=eu'], ['region=e u'], ['region=eu', 'region-'], ['re gion=eu']]) {
    assert.throws(
      () => parseLabelChanges(bad),
      (err: unknown) => err instanceof BerthError && err.code === 'invalid_request' && err.hint !== '',
      JSON.stringify(bad),
    );
  }
});

test('pickNode: by id, id prefix or address; a shared hostname is ambiguous', () => {
  const nodes = [
    { id: 'abcd1234', name: 'vm', address: '10.0.0.10' },
    { id: 'abce9999', name: 'vm', address: '10.0.0.11' },
    { id: 'ffff0000', name: 'edge', address: null },
  ];
  assert.equal(pickNode(nodes, 'abcd1234').id, 'abcd1234');
  assert.equal(pickNode(nodes, 'abcd').id, 'abcd1234');
  assert.equal(pickNode(nodes, '10.0.0.11').id, 'abce9999');
  assert.equal(pickNode(nodes, 'edge').id, 'ffff0000');
  assert.throws(() => pickNode(nodes, 'vm'), /names 2 nodes/);
  assert.throws(() => pickNode(nodes, 'abc'), /no node "abc"/);
});

test('[deploy] placement: valid constraints are kept, a bad one is a config error with its path', () => {
  const load = (placement: unknown) => normalizeConfig({ app: 'a', deploy: { placement } }, () => undefined);
  const good = load(['node.labels.region==eu']);
  assert.deepEqual(good.config?.deploy.placement, ['node.labels.region==eu']);
  const bad = load(['node.labels.region==eu', 'zone=1']);
  assert.ok(
    bad.diagnostics.some(
      (d) =>
        d.severity === 'error' && /deploy\.placement\[1\]/.test(d.path) && /not a constraint/.test(d.message),
    ),
    JSON.stringify(bad.diagnostics),
  );
});
