import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestCluster, type TestCluster } from '../helpers/cluster.ts';

let c: TestCluster;
before(async () => {
  c = await startTestCluster();
  const r = await c.admin.post(CRDS, crd);
  assert.equal(r.status, 201, r.text);
  for (let i = 0; i < 200 && (await c.admin.get(G)).status !== 200; i++) await new Promise((res) => setTimeout(res, 25));
});
after(async () => {
  await c.close();
});

const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const G = '/apis/rules.example.com/v1/namespaces/default/gauges';
const PATHOLOGICAL = '^([a-z]+)*$';

const schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      'x-kubernetes-validations': [
        { rule: 'self.min <= self.max', message: 'min must not exceed max' },
        { rule: 'self.min >= 0' },
        { rule: 'self.max < 100', messageExpression: '"max is " + string(self.max) + ", want < 100"' },
        { rule: "!has(self.word) || self.word != 'forbidden'", reason: 'FieldValueForbidden', fieldPath: '.word', message: 'that word is forbidden' },
      ],
      properties: {
        min: { type: 'integer' },
        max: { type: 'integer' },
        mode: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'mode is immutable' }] },
        word: { type: 'string', pattern: PATHOLOGICAL },
        text: { type: 'string', 'x-kubernetes-validations': [{ rule: `self.matches('${PATHOLOGICAL}')` }] },
        items: { type: 'array', items: { type: 'integer' }, 'x-kubernetes-validations': [{ rule: 'self.all(x, self.all(y, self.all(z, x + y + z >= 0)))' }] },
      },
    },
  },
};

const crd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gauges.rules.example.com' },
  spec: {
    group: 'rules.example.com',
    scope: 'Namespaced',
    names: { plural: 'gauges', singular: 'gauge', kind: 'Gauge', listKind: 'GaugeList' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema } }],
  },
};

const gauge = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'rules.example.com/v1', kind: 'Gauge', metadata: { name }, spec });

test('x-kubernetes-validations rules are evaluated on create with upstream field paths, messages and reasons', async () => {
  const ok = await c.admin.post(G, gauge('ok', { min: 1, max: 5, mode: 'a' }));
  assert.equal(ok.status, 201, ok.text);

  const bad = await c.admin.post(G, gauge('bad', { min: 7, max: 150, word: 'forbidden' }));
  assert.equal(bad.status, 422, bad.text);
  const causes = bad.body.details.causes.map((x: any) => `${x.reason} ${x.field}: ${x.message}`);
  assert.deepEqual(causes, [
    'FieldValueInvalid spec: Invalid value: "object": max is 150, want < 100',
    'FieldValueForbidden spec.word: Forbidden: that word is forbidden',
  ]);

  const neg = await c.admin.post(G, gauge('neg', { min: -1, max: 5 }));
  assert.equal(neg.status, 422, neg.text);
  assert.match(neg.body.message, /spec: Invalid value: "object": failed rule: self.min >= 0/);

  const minmax = await c.admin.post(G, gauge('minmax', { min: 6, max: 5 }));
  assert.match(minmax.body.message, /spec: Invalid value: "object": min must not exceed max/);
});

test('transition rules (oldSelf) run only on update, where an old value exists', async () => {
  const created = await c.admin.post(G, gauge('t', { min: 1, max: 2, mode: 'first' }));
  assert.equal(created.status, 201, created.text);
  const same = await c.admin.patch(`${G}/t`, { spec: { max: 3 } }, 'application/merge-patch+json');
  assert.equal(same.status, 200, same.text);
  const changed = await c.admin.patch(`${G}/t`, { spec: { mode: 'second' } }, 'application/merge-patch+json');
  assert.equal(changed.status, 422, changed.text);
  assert.match(changed.body.message, /spec.mode: Invalid value: "string": mode is immutable/);
  // Setting the field for the first time on update: no old value, so the rule does not run.
  await c.admin.post(G, gauge('u', { min: 1, max: 2 }));
  const first = await c.admin.patch(`${G}/u`, { spec: { mode: 'x' } }, 'application/merge-patch+json');
  assert.equal(first.status, 200, first.text);
});

test('pattern and CEL matches use RE2: the pathological pattern on a 10,000-character input gets a verdict', async () => {
  const long = `${'a'.repeat(10_000)}!`;
  const p = await c.admin.post(G, gauge('re', { min: 1, max: 2, word: long }));
  assert.equal(p.status, 422, p.text);
  assert.match(p.body.message, /spec.word in body should match '\^\(\[a-z\]\+\)\*\$'/);
  const m = await c.admin.post(G, gauge('re2', { min: 1, max: 2, text: long }));
  assert.equal(m.status, 422, m.text);
  assert.match(m.body.message, /spec.text: Invalid value: "string": failed rule: self.matches/);
  const good = await c.admin.post(G, gauge('re3', { min: 1, max: 2, word: 'a'.repeat(10_000), text: 'abc' }));
  assert.equal(good.status, 201, good.text);
});

test('an expensive rule stops at the cost budget instead of stalling the server', async () => {
  const items = Array.from({ length: 2000 }, (_, i) => i);
  const r = await c.admin.post(G, gauge('cost', { min: 1, max: 2, items }));
  assert.equal(r.status, 422, r.text);
  assert.match(r.body.message, /spec.items: Invalid value: "array": 'operation cancelled: actual cost limit exceeded': no further validation rules will be run due to call cost exceeds limit for rule: self.all/);
});

test('CRD create refuses patterns that are not RE2 and rules that do not compile, as upstream', async () => {
  const bad = structuredClone(crd);
  bad.metadata.name = 'bads.rules.example.com';
  bad.spec.names = { plural: 'bads', singular: 'bad', kind: 'Bad', listKind: 'BadList' };
  const spec = bad.spec.versions[0]!.schema.openAPIV3Schema.properties.spec as any;
  spec.properties.word.pattern = '+';
  spec.properties.mode['x-kubernetes-validations'] = [{ rule: 'self ==' }, { rule: 'self.size()' }, { rule: '' }, { rule: 'self.size() > 1', optionalOldSelf: true }];
  const r = await c.admin.post(CRDS, bad);
  assert.equal(r.status, 422, r.text);
  const P = 'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties';
  const byField = new Map(r.body.details.causes.map((x: any) => [x.field, x.message]));
  assert.match(String(byField.get(`${P}[word].pattern`)), /^Invalid value: "\+": must be a valid regular expression, but isn't: error parsing regexp: missing argument to repetition operator: `\+`$/);
  assert.match(String(byField.get(`${P}[mode].x-kubernetes-validations[0].rule`)), /^Invalid value: apiextensions.ValidationRule\{Rule:"self ==".*\}: compilation failed: /);
  assert.match(String(byField.get(`${P}[mode].x-kubernetes-validations[1].rule`)), /cel expression must evaluate to a bool/);
  assert.equal(byField.get(`${P}[mode].x-kubernetes-validations[2].rule`), 'Required value: rule is not specified');
  assert.equal(byField.get(`${P}[mode].x-kubernetes-validations[3].optionalOldSelf`), 'Invalid value: true: may not be set if oldSelf is not used in rule');
});
