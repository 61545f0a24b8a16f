/**
 * Micro-benchmarks of ValidatingAdmissionPolicy (issue 16 targets: <= 10 µs per compiled
 * expression on a typical pod; 100 bindings on one request, admission p99 <= 1 ms; compile time
 * per policy). Reports, never asserts. Run alone with
 *   node --import tsx src/admission/cel/bench.ts
 * or through `npm run bench` (the admissionPolicy section).
 */
import pino from 'pino';
import { MastersAuthorizer } from '../../authz/masters.ts';
import { CostMeter, meteredVars } from '../../cel/cost.ts';
import { toCelValue } from '../../api/crd/cel-value.ts';
import { openSqliteStore } from '../../storage/sqlite.ts';
import { createWatchCache } from '../../storage/watch-cache.ts';
import type { AdmissionAttributes } from '../types.ts';
import { compilePolicy } from './compile-policy.ts';
import { compilePolicyExpression, policyEnv } from './policy-env.ts';
import { compileCel } from '../../cel/environment.ts';
import { ValidatingAdmissionPolicyPlugin } from './validating-admission-policy.ts';
import { builtinKey } from '../../api/registry/resource-def.ts';

const NS = 'bench';

function typicalPod(): Record<string, any> {
  const container = (name: string, port: number) => ({
    name,
    image: `registry.example.com/team/${name}:1.4.2`,
    ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
    securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true },
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-7d9c8b6f5-x2x9z', namespace: NS, labels: { app: 'web', team: 'payments' } },
    spec: { containers: [container('web', 8080), container('metrics-sidecar', 9090)], initContainers: [container('migrate', 1)] },
  };
}

const EXPRESSIONS = [
  "object.spec.containers.all(c, c.image.startsWith('registry.example.com/'))",
  "has(object.metadata.labels) && 'team' in object.metadata.labels",
  'object.spec.containers.all(c, has(c.resources.limits) && has(c.resources.limits.memory))',
  "!object.spec.containers.exists(c, c.image.endsWith(':latest'))",
  'object.spec.containers.all(c, c.securityContext.?allowPrivilegeEscalation.orValue(true) == false)',
];

function stats(samplesNs: number[]) {
  const s = [...samplesNs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { iterations: s.length, p50Us: q(0.5) / 1000, p99Us: q(0.99) / 1000, meanUs: Math.round(s.reduce((a, b) => a + b, 0) / s.length) / 1000 };
}

async function time(iterations: number, fn: (i: number) => unknown): Promise<number[]> {
  for (let i = 0; i < Math.min(iterations, 2000); i++) await fn(i);
  const out: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t = process.hrtime.bigint();
    await fn(i);
    out.push(Number(process.hrtime.bigint() - t));
  }
  return out;
}

function attrs(): AdmissionAttributes {
  const pod = typicalPod();
  return {
    operation: 'CREATE',
    object: pod,
    oldObject: undefined,
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' },
    subresource: '',
    namespace: NS,
    name: pod.metadata.name,
    user: { username: 'alice', groups: ['system:authenticated'] },
    dryRun: false,
  };
}

const policySpec = (i: number) => ({
  failurePolicy: 'Fail',
  matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'], scope: '*' }], matchPolicy: 'Equivalent', namespaceSelector: {}, objectSelector: {} },
  variables: [{ name: 'images', expression: 'object.spec.containers.map(c, c.image)' }],
  validations: EXPRESSIONS.map((e) => ({ expression: `${e} && ${i} >= 0` })),
});

// Shaped as the library's pod policies (policies/library/pod-security): the same matchCondition
// and container variables in every policy, word for word, and validations of their own.
const SPEC_CHANGED = "request.operation == 'CREATE' || object.spec != oldObject.spec || object.metadata.?annotations.orValue({}) != oldObject.metadata.?annotations.orValue({})";
export const libraryPolicySpec = (i: number) => ({
  failurePolicy: 'Fail',
  matchConstraints: policySpec(i).matchConstraints,
  matchConditions: [{ name: 'spec-changed', expression: SPEC_CHANGED }],
  variables: [
    { name: 'podSC', expression: 'object.spec.?securityContext.orValue({})' },
    { name: 'containers', expression: 'object.spec.?initContainers.orValue([]) + object.spec.containers + object.spec.?ephemeralContainers.orValue([])' },
  ],
  validations: [
    { expression: `variables.containers.all(c, c.image.startsWith('registry.example.com/') || ${i} < 0)` },
    { expression: `variables.podSC.?runAsNonRoot.orValue(false) || variables.containers.all(c, c.?securityContext.?runAsNonRoot.orValue(false)) || ${i} < 0` },
    { expression: `variables.containers.all(c, has(c.resources.limits) && 'memory' in c.resources.limits || ${i} < 0)` },
  ],
});

/**
 * CPU time per request in the least disturbed of 30 windows of 20 requests: other processes on a
 * shared machine also cost CPU time here (evicted caches), so the mean over all runs swings from
 * run to run; the best window is the figure to compare between versions.
 */
async function bestWindowCpu(fn: () => Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let w = 0; w < 30; w++) {
    const c = process.cpuUsage();
    for (let i = 0; i < 20; i++) await fn();
    const d = process.cpuUsage(c);
    best = Math.min(best, (d.user + d.system) / 20);
  }
  return Math.round(best);
}

export async function bindingsOnOneRequest(policies: number, bindingsPerPolicy: number, iterations: number, spec: (i: number) => object = policySpec) {
  const store = createWatchCache(openSqliteStore({ path: ':memory:', durability: 'normal' }));
  await store.create(builtinKey('', 'namespaces', NS), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, uid: 'ns', labels: { env: 'prod' } } });
  for (let p = 0; p < policies; p++) {
    await store.create(builtinKey('admissionregistration.k8s.io', 'validatingadmissionpolicies', `p${p}`), { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: `p${p}`, uid: `p${p}`, generation: 1 }, spec: spec(p), status: { observedGeneration: 1 } });
    for (let b = 0; b < bindingsPerPolicy; b++) {
      await store.create(builtinKey('admissionregistration.k8s.io', 'validatingadmissionpolicybindings', `p${p}-b${b}`), { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: `p${p}-b${b}`, uid: `b${p}-${b}` }, spec: { policyName: `p${p}`, validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { env: 'prod' } }, objectSelector: {}, matchPolicy: 'Equivalent' } } });
    }
  }
  const plugin = new ValidatingAdmissionPolicyPlugin({ store, authorizer: new MastersAuthorizer(), now: () => new Date(), random: Math.random, newUid: () => 'uid', log: pino({ level: 'silent' }) });
  try {
    const first = await plugin.validate(attrs());
    if (!first.allowed) throw new Error(`bench pod denied: ${first.reason}`);
    const n = Math.max(200, Math.floor(iterations / 20));
    // CPU time per request besides wall-clock percentiles: on a shared machine the tail is mostly
    // time spent descheduled, which CPU time does not count.
    const cpu = process.cpuUsage();
    const s = stats(await time(n, () => plugin.validate(attrs())));
    const used = process.cpuUsage(cpu);
    return { ...s, cpuUsPerRequest: Math.round((used.user + used.system) / (n + Math.min(n, 2000))), cpuUsPerRequestBestWindow: await bestWindowCpu(() => plugin.validate(attrs())) };
  } finally {
    plugin.close();
    await store.close();
  }
}

export async function benchAdmissionPolicy(iterations = 20_000) {
  const object = toCelValue(undefined, typicalPod());
  const perExpression = [];
  for (const e of EXPRESSIONS) {
    const c = compilePolicyExpression(e, 'bool');
    if (!c.program) throw new Error(c.error);
    const program = c.program;
    const vars = { object, oldObject: null, request: {}, params: null, namespaceObject: null, variables: {} };
    // The same tree on cel-js's interpreter (src/cel/closures.ts compiles it to closures), in the same run.
    const c2 = compileCel(policyEnv, e);
    const interpreted = c2.ok ? c2.compiled.interpreted : program;
    const closures = stats(await time(iterations, () => program(meteredVars(vars, new CostMeter()))));
    const celJs = stats(await time(iterations, () => interpreted(meteredVars(vars, new CostMeter()))));
    perExpression.push({ expression: e, ...closures, celJsP50Us: celJs.p50Us, celJsP99Us: celJs.p99Us });
  }
  // Compile: every iteration a new policy text, so nothing comes from the expression cache.
  const compile = stats(await time(500, (i) => compilePolicy({ metadata: { name: `p${i}`, generation: 1 }, spec: policySpec(1_000_000 + i) } as never)));

  // 100 bindings matching one pod create, through the plugin: 10 policies x 10 bindings (the
  // bindings of a policy share one evaluation), and 100 policies x 1 binding (100 evaluations).
  const hundredBindings = await bindingsOnOneRequest(10, 10, iterations);
  const hundredPolicies = await bindingsOnOneRequest(100, 1, iterations);
  const hundredLibraryPolicies = await bindingsOnOneRequest(100, 1, iterations, libraryPolicySpec);
  return {
    perExpression,
    compilePolicy: { validations: EXPRESSIONS.length + 1, ...compile },
    hundredBindings: { policies: 10, bindingsPerPolicy: 10, expressionsPerBinding: EXPRESSIONS.length, ...hundredBindings },
    hundredPolicies: { policies: 100, bindingsPerPolicy: 1, expressionsPerBinding: EXPRESSIONS.length, ...hundredPolicies },
    // Library-shaped: requests share the outcomes of the expressions the policies repeat (src/admission/cel/request-memo.ts).
    hundredLibraryPolicies: { policies: 100, bindingsPerPolicy: 1, expressionsPerBinding: 6, ...hundredLibraryPolicies },
    target: {
      expressionUnder10us: perExpression.every((r) => r.p99Us <= 10),
      hundredBindingsP99Under1ms: hundredBindings.p99Us <= 1000,
      hundredPoliciesP99Under1ms: hundredPolicies.p99Us <= 1000,
      hundredLibraryPoliciesP99Under1ms: hundredLibraryPolicies.p99Us <= 1000,
    },
  };
}

if (import.meta.main) process.stdout.write(`${JSON.stringify(await benchAdmissionPolicy(), null, 2)}\n`);
