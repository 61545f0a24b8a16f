import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DefaultIngressClass } from './default-ingress-class.ts';
import { attrs, testDeps } from '../quota/testing.ts';

const ingress = (spec: Record<string, unknown> = {}, annotations?: Record<string, string>) => ({ metadata: { name: 'i', namespace: 'ns', ...(annotations ? { annotations } : {}) }, spec: { defaultBackend: { service: { name: 's', port: { number: 80 } } }, ...spec } });
const ic = (name: string, created: string, isDefault?: string) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name, creationTimestamp: created, ...(isDefault !== undefined ? { annotations: { 'ingressclass.kubernetes.io/is-default-class': isDefault } } : {}) }, spec: { controller: 'example.com/ingress' } });
const create = (obj: Record<string, any>) => attrs('ingresses', obj, { group: 'networking.k8s.io' });

test('DefaultIngressClass: an Ingress without a class gets the newest default class; a class field or the legacy annotation is left alone; no default, no change', async () => {
  const deps = testDeps();
  const p = new DefaultIngressClass(deps);
  const none = ingress();
  assert.deepEqual(await p.admit(create(none)), { allowed: true });
  assert.equal((none.spec as any).ingressClassName, undefined);
  await deps.store.create('/registry/networking.k8s.io/ingressclasses/old', ic('old', '2026-01-01T00:00:00Z', 'true'));
  await deps.store.create('/registry/networking.k8s.io/ingressclasses/newer', ic('newer', '2026-02-01T00:00:00Z', 'true'));
  await deps.store.create('/registry/networking.k8s.io/ingressclasses/newest-not-default', ic('newest-not-default', '2026-03-01T00:00:00Z', 'True'));
  await deps.store.create('/registry/networking.k8s.io/ingressclasses/plain', ic('plain', '2026-04-01T00:00:00Z'));
  const i = ingress();
  const v = await p.admit(create(i));
  assert.equal((i.spec as any).ingressClassName, 'newer', 'only "true" marks a default; the newest of those wins');
  assert.deepEqual(v.patches, [{ op: 'add', path: '/spec/ingressClassName', value: 'newer' }]);
  for (const chosen of [ingress({ ingressClassName: 'plain' }), ingress({ ingressClassName: '' }), ingress({}, { 'kubernetes.io/ingress.class': '' })]) {
    const before = JSON.stringify(chosen);
    assert.deepEqual(await p.admit(create(chosen)), { allowed: true });
    assert.equal(JSON.stringify(chosen), before);
  }
  // Same creation time: by name.
  await deps.store.create('/registry/networking.k8s.io/ingressclasses/a-twin', ic('a-twin', '2026-02-01T00:00:00Z', 'true'));
  const t = ingress();
  await p.admit(create(t));
  assert.equal((t.spec as any).ingressClassName, 'a-twin');
  assert.equal(p.handles(attrs('ingresses', ingress(), { group: 'networking.k8s.io', op: 'UPDATE', oldObject: ingress() })), false, 'creation only');
  assert.equal(p.handles(attrs('ingresses', ingress(), { group: 'extensions' })), false);
});
