/**
 * Background policy reports: ValidatingAdmissionPolicies evaluated against the objects that
 * already exist, written as wgpolicyk8s.io/v1alpha2 reports, as the controller's own identity
 * (system:serviceaccount:kube-system:policy-reports-controller, bootstrap role
 * system:controller:policy-reports-controller).
 *
 * Every bound policy is evaluated, whatever its bindings' validationActions: a failure under a
 * binding with Deny or Audit is `fail`, under Warn only `warn`; an evaluation error `error`; an
 * object covered by an active PolicyException `skip`. The objects are those of the resources the
 * policies' resourceRules name explicitly (no wildcards), followed by shared informers, at most
 * MAX_RESOURCES of them, and only those its own identity may list and watch (a SelfSubjectAccessReview
 * first): its role reads what `view` reads (no Secrets) plus what a ClusterRole labelled
 * policy.portcullis.dev/aggregate-to-policy-reports adds, so a policy on another resource is
 * logged and left out of the reports rather than stalling them on a forbidden list.
 *
 * Bounded, so reports cannot fill the store: one PolicyReport per namespace and one
 * ClusterPolicyReport for cluster-scoped objects, each listing at most `maxResults` results
 * (failures first) with a summary counting them all; a report is evaluated at most once per
 * `minIntervalMs` and written only when its content changed; a namespace without results has
 * no report.
 */
import type { ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding } from 'kubernetes-types/admissionregistration/v1.js';
import { compilePolicy, type CompiledPolicy } from '../../../admission/cel/compile-policy.ts';
import type { PolicyException } from '../../../admission/cel/exceptions/policy-exception.ts';
import { isNotFound } from '../../client/errors.ts';
import type { ApiClient, Controller, Informer, InformerFactory, K8sObject, ResourceRef, WorkQueue } from '../../client/types.ts';
import { resources } from '../../client/resources.ts';
import { newQueueController, type ControllerLog } from '../queue-controller.ts';
import { groupResourceOf, type ResourceDiscovery } from '../resource-discovery.ts';
import { CLUSTER_POLICY_REPORTS, DEFAULT_MAX_RESULTS, POLICY_REPORTS, REPORT_NAME, reportContent, reportObject, sameContent } from './build-report.ts';
import { bindingMatch, evaluateObject, type PolicyUnderTest, type ReportResult } from './evaluate-object.ts';

export const POLICY_REPORTS_CONTROLLER = 'policy-reports-controller';
export const POLICY_REPORTS_SERVICE_ACCOUNT = 'policy-reports-controller';
/** At most this many resources are followed for policies (each is one informer's cache). */
export const MAX_RESOURCES = 16;
const DEFAULT_MIN_INTERVAL_MS = 2_000;
/** A resource the controller may not read is asked about again after this long (a role may be extended). */
const RECHECK_DENIED_MS = 60_000;

const ref = (group: string, version: string, resource: string, kind: string, namespaced: boolean): ResourceRef => Object.freeze({ group, version, resource, kind, namespaced });
const VAPS = ref('admissionregistration.k8s.io', 'v1', 'validatingadmissionpolicies', 'ValidatingAdmissionPolicy', false);
const BINDINGS = ref('admissionregistration.k8s.io', 'v1', 'validatingadmissionpolicybindings', 'ValidatingAdmissionPolicyBinding', false);
const EXCEPTIONS = ref('policy.portcullis.dev', 'v1alpha1', 'policyexceptions', 'PolicyException', false);
const SELF_REVIEWS = ref('authorization.k8s.io', 'v1', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false);

export interface PolicyReportsDeps {
  client: ApiClient;
  informers: InformerFactory;
  queue: WorkQueue;
  log: ControllerLog;
  now: () => number;
  discovery: ResourceDiscovery;
  maxResults?: number;
  minIntervalMs?: number;
  /** Whether the controller's identity may list and watch a resource in every namespace (default: SelfSubjectAccessReviews). */
  mayRead?: (r: ResourceRef) => Promise<boolean>;
}

/** list and watch across namespaces, asked as the client's own identity. */
export function selfReviewRead(client: ApiClient): (r: ResourceRef) => Promise<boolean> {
  return async (r) => {
    for (const verb of ['list', 'watch']) {
      const review = await client.create<K8sObject>(SELF_REVIEWS, '', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: {}, spec: { resourceAttributes: { verb, group: r.group, version: r.version, resource: r.resource } } });
      if ((review as { status?: { allowed?: boolean } }).status?.allowed !== true) return false;
    }
    return true;
  };
}

type Vap = ValidatingAdmissionPolicy & K8sObject;
type Binding = ValidatingAdmissionPolicyBinding & K8sObject;

export function newPolicyReportsController(d: PolicyReportsDeps): Controller {
  const maxResults = d.maxResults ?? DEFAULT_MAX_RESULTS;
  const minIntervalMs = d.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS;
  const user = { username: `system:serviceaccount:kube-system:${POLICY_REPORTS_SERVICE_ACCOUNT}`, groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'] };
  const vaps = d.informers.informer<Vap>(VAPS);
  const bindings = d.informers.informer<Binding>(BINDINGS);
  const exceptions = d.informers.informer<PolicyException & K8sObject>(EXCEPTIONS);
  const namespaces = d.informers.informer(resources.namespaces);
  const reports = d.informers.informer(POLICY_REPORTS);
  const clusterReports = d.informers.informer(CLUSTER_POLICY_REPORTS);
  const monitored = new Map<string, Informer<K8sObject>>();
  const compiled = new Map<string, { key: string; compiled: CompiledPolicy }>();
  const lastSync = new Map<string, number>();
  const warned = new Set<string>();
  const mayRead = d.mayRead ?? selfReviewRead(d.client);
  /** Resources the identity may not read, and when they may be asked about again. */
  const denied = new Map<string, number>();

  const enqueueAll = (): void => {
    d.queue.add('');
    for (const ns of namespaces.list()) d.queue.add(String(ns.metadata.name));
  };
  const onObject = (o: K8sObject): void => d.queue.add(String(o.metadata.namespace ?? ''));

  /** The bound policies, each compiled once per uid and generation. */
  const underTest = (): PolicyUnderTest[] => {
    const byPolicy = new Map<string, Binding[]>();
    for (const b of bindings.list()) {
      const n = b.spec?.policyName;
      if (n) byPolicy.set(n, [...(byPolicy.get(n) ?? []), b]);
    }
    const out: PolicyUnderTest[] = [];
    const names = new Set<string>();
    for (const p of vaps.list()) {
      const name = String(p.metadata.name);
      names.add(name);
      const bs = byPolicy.get(name);
      if (!bs?.length) continue;
      const key = `${p.metadata.uid ?? ''}/${p.metadata.generation ?? 0}`;
      let c = compiled.get(name);
      if (c?.key !== key) compiled.set(name, (c = { key, compiled: compilePolicy(p) }));
      out.push({ policy: p, compiled: c.compiled, bindings: bs.sort((x, y) => (String(x.metadata.name) < String(y.metadata.name) ? -1 : 1)).map((b) => ({ binding: b, match: bindingMatch(b) })) });
    }
    for (const n of compiled.keys()) if (!names.has(n)) compiled.delete(n);
    return out;
  };

  const warnOnce = (policy: string, gr: string, why: string): void => {
    if (warned.has(gr) || warned.size >= 1000) return;
    warned.add(gr);
    d.log.error({ policy, resource: gr }, `${POLICY_REPORTS_CONTROLLER}: ${gr} is not followed (${why})`);
  };

  /** Starts following each resource a bound policy names (explicit group and plural only) that the controller may read. */
  const followNow = async (): Promise<void> => {
    const served = new Map(d.discovery().map((r) => [groupResourceOf(r), r]));
    for (const p of underTest()) {
      for (const rule of p.compiled.match.spec?.resourceRules ?? []) {
        for (const group of rule.apiGroups ?? []) {
          for (const resource of (rule as { resources?: string[] }).resources ?? []) {
            const gr = `${group}/${resource}`;
            if (monitored.has(gr)) continue;
            const r = served.get(gr);
            if (!r || group === '*' || resource.includes('*') || resource.includes('/') || monitored.size >= MAX_RESOURCES) {
              warnOnce(p.compiled.name, gr, `not served, a wildcard or a subresource, or more than ${MAX_RESOURCES} resources`);
              continue;
            }
            if ((denied.get(gr) ?? -Infinity) > d.now()) continue;
            if (!(await mayRead(r))) {
              denied.set(gr, d.now() + RECHECK_DENIED_MS);
              warnOnce(p.compiled.name, gr, 'the controller may not list and watch it: a ClusterRole labelled policy.portcullis.dev/aggregate-to-policy-reports can grant it');
              continue;
            }
            denied.delete(gr);
            if (monitored.has(gr)) continue;
            const inf = d.informers.informer<K8sObject>(r);
            inf.addEventHandler({ add: onObject, update: (_o, n) => onObject(n), delete: onObject });
            monitored.set(gr, inf);
          }
        }
      }
    }
  };
  // One pass at a time: two syncs must not start two informers for one resource.
  let following: Promise<void> = Promise.resolve();
  const follow = (): Promise<void> => (following = following.catch(() => undefined).then(followNow));
  // The next syncs follow the resources the changed policies name (follow runs before each).
  const onPolicies = (): void => enqueueAll();
  for (const inf of [vaps, bindings, exceptions] as Informer<K8sObject>[]) inf.addEventHandler({ add: onPolicies, update: onPolicies, delete: onPolicies });
  namespaces.addEventHandler({
    add: (ns) => d.queue.add(String(ns.metadata.name)),
    update: (_o, ns) => d.queue.add(String(ns.metadata.name)),
    delete: (ns) => lastSync.delete(String(ns.metadata.name)),
  });

  const results = async (namespace: string): Promise<ReportResult[]> => {
    const now = new Date(d.now());
    const byPolicy = new Map<string, PolicyException[]>();
    for (const e of exceptions.list()) {
      const p = e.spec?.policyName;
      if (p) byPolicy.set(p, [...(byPolicy.get(p) ?? []), e]);
    }
    const ctx = { namespace: (n: string) => namespaces.get('', n) as Record<string, any> | undefined, user, exceptions: (p: string) => byPolicy.get(p) ?? [], now };
    const out: ReportResult[] = [];
    const policies = underTest();
    for (const inf of monitored.values()) {
      if (inf.resource.namespaced !== (namespace !== '')) continue;
      const objects = namespace ? inf.byIndex('namespace', namespace) : inf.list();
      for (const o of objects) for (const p of policies) out.push(...(await evaluateObject(p, inf.resource, o, ctx)));
    }
    return out;
  };

  const sync = async (namespace: string): Promise<void> => {
    const last = lastSync.get(namespace);
    const since = last === undefined ? Infinity : d.now() - last;
    if (since < minIntervalMs) {
      // Rate limit: each report is evaluated (and written) at most once per interval, however
      // busy its objects are; the changes meanwhile are in the next one.
      d.queue.addAfter(namespace, minIntervalMs - since);
      return;
    }
    if (namespace && !namespaces.get('', namespace)) return;
    lastSync.set(namespace, d.now());
    const target = namespace ? POLICY_REPORTS : CLUSTER_POLICY_REPORTS;
    const stored = (namespace ? reports : clusterReports).get(namespace, REPORT_NAME);
    const all = await results(namespace);
    if (all.length === 0) {
      if (stored) {
        await d.client.delete(target, namespace, REPORT_NAME).catch((err: unknown) => {
          if (!isNotFound(err)) throw err;
        });
      }
      return;
    }
    const content = reportContent(all, maxResults);
    if (sameContent(stored, content)) return;
    const obj = reportObject(namespace, content, new Date(d.now()));
    if (stored) await d.client.update(target, namespace, { ...obj, metadata: { ...obj.metadata, resourceVersion: stored.metadata.resourceVersion } });
    else await d.client.create(target, namespace, obj);
  };

  return newQueueController({
    name: POLICY_REPORTS_CONTROLLER,
    queue: d.queue,
    waitFor: [vaps, bindings, exceptions, namespaces, reports, clusterReports] as Informer<K8sObject>[],
    sync: async (key) => {
      // Resources served since the policies last changed (a CRD installed later) are followed now.
      await follow();
      // Objects of resources followed since the last sync must be listed before they are judged.
      await Promise.all([...monitored.values()].map((i) => i.synced()));
      await sync(key);
    },
    log: d.log,
  });
}
