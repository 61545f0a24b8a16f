import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startControlPlane, type ControlPlane, type ControlPlaneOptions } from '../../src/server/control-plane.ts';
import { issueCert } from '../../src/pki/certs.ts';
import { CORE_CONTROLLERS } from '../../src/cluster/controllers/registry.ts';
import { after, before } from 'node:test';
import { TestClient } from './client.ts';

export interface TestCluster {
  cp: ControlPlane;
  admin: TestClient;
  dataDir: string;
  /** A client with a certificate for this user and groups, issued by the cluster CA. */
  as(user: string, groups?: string[]): TestClient;
  /** Resolves once the controllers' start-up writes are done: no store write for 300 ms. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The controller manager runs only the core controllers (CORE_CONTROLLERS: default
 * ServiceAccounts, kube-root-ca.crt, namespace deletion, quota status, garbage collection), which
 * API tests rely on as on part of the API server; workload controllers and the scheduler are off
 * unless asked for (`controllers: ['*'], scheduler: true`; the core ones stay on unless disabled
 * with '-name'), so API tests see their objects exactly as they wrote them. Leader election is on
 * only when controllers or the scheduler are asked for: a Lease renewed every 2 s would move the
 * store's revision under tests that compare list resourceVersions.
 */
export async function startTestCluster(opts: { dataDir?: string; keep?: boolean; authn?: ControlPlaneOptions['authn']; oidc?: ControlPlaneOptions['oidc']; admission?: ControlPlaneOptions['admission']; controllers?: string[]; scheduler?: boolean; audit?: ControlPlaneOptions['audit']; authorizationModes?: ControlPlaneOptions['authorizationModes']; authorizationFiles?: ControlPlaneOptions['authorizationFiles']; now?: ControlPlaneOptions['now']; allowPrivileged?: boolean } = {}): Promise<TestCluster> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'portcullis-test-'));
  const cp = await startControlPlane({ dataDir, port: 0, bindAddress: '127.0.0.1', logger: pino({ level: 'silent' }), durability: 'normal', authn: opts.authn, oidc: opts.oidc, admission: opts.admission, controllers: [...(opts.controllers ?? []), ...CORE_CONTROLLERS], scheduler: opts.scheduler ?? false, leaderElect: opts.controllers !== undefined || opts.scheduler === true, audit: opts.audit, authorizationModes: opts.authorizationModes, authorizationFiles: opts.authorizationFiles, now: opts.now, allowPrivileged: opts.allowPrivileged });
  const admin = new TestClient(cp.url, { caPem: cp.pki.caCertPem, certPem: cp.pki.adminCertPem, keyPem: cp.pki.adminKeyPem });
  const clients: TestClient[] = [admin];
  return {
    cp,
    admin,
    dataDir,
    as(user, groups = []) {
      const c = issueCert({ certPem: cp.pki.caCertPem, keyPem: cp.pki.caKeyPem }, { commonName: user, organizations: groups, usage: 'client', now: new Date(), validityDays: 1 });
      const client = new TestClient(cp.url, { caPem: cp.pki.caCertPem, certPem: c.certPem, keyPem: c.keyPem });
      clients.push(client);
      return client;
    },
    async settled() {
      // The core controllers' first objects in default, waited for by name: a quiet spell alone
      // passed before them on a loaded machine (kube-root-ca.crt then showed up in a watch test).
      const off = new Set(opts.controllers ?? []);
      const wanted = [
        ...(off.has('-root-ca-certificate-publisher-controller') ? [] : ['/api/v1/namespaces/default/configmaps/kube-root-ca.crt']),
        ...(off.has('-serviceaccount-controller') ? [] : ['/api/v1/namespaces/default/serviceaccounts/default']),
      ];
      for (const path of wanted) {
        for (let i = 0; i < 600 && (await admin.get(path)).status !== 200; i++) await new Promise((r) => setTimeout(r, 50));
      }
      let rev = cp.store.currentRevision();
      let quietSince = Date.now();
      for (let i = 0; i < 1000 && Date.now() - quietSince < 300; i++) {
        await new Promise((r) => setTimeout(r, 20));
        const now = cp.store.currentRevision();
        if (now !== rev) {
          rev = now;
          quietSince = Date.now();
        }
      }
    },
    async close() {
      for (const c of clients) c.close();
      await cp.close();
      if (!opts.keep) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * One cluster for the whole test file: started before its first test (and, with `settle`, after
 * the controllers' start-up writes), closed after its last. The object is filled in when the
 * cluster starts, so tests use it as the TestCluster itself.
 */
export function clusterPerFile(opts: Parameters<typeof startTestCluster>[0] = {}, { settle = false }: { settle?: boolean } = {}): TestCluster {
  const cluster = {} as TestCluster;
  before(async () => {
    Object.assign(cluster, await startTestCluster(opts));
    if (settle) await cluster.settled();
  });
  after(async () => {
    await cluster.close?.();
  });
  return cluster;
}
