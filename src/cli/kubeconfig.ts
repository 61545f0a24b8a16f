import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pkiPaths } from '../pki/bundle.ts';
import { issueCert } from '../pki/certs.ts';
import { renderKubeconfig, writeKubeconfig } from '../pki/kubeconfig.ts';
import { loadKubeconfig } from '../util/kubeconfig.ts';
import { flag, parseCommand } from './args.ts';

const CLIENT_CERT_DAYS = 365;

/**
 * `portcullis kubeconfig --user NAME [--group G]... [--data-dir D] [--server URL] [--out FILE]`:
 * mints a client certificate (CN=user, O=groups) from the cluster CA and prints a kubeconfig for it.
 */
export async function runKubeconfig(argv: string[], out: (s: string) => void): Promise<number> {
  const args = parseCommand(argv, { name: 'kubeconfig', flags: ['user', 'group', 'data-dir', 'server', 'out', 'days'] });
  const user = flag(args, 'user', '');
  if (!user) throw new Error('--user is required');
  const groups = args.flags.get('group') ?? [];
  const dataDir = flag(args, 'data-dir', './.portcullis');
  const days = Number(flag(args, 'days', String(CLIENT_CERT_DAYS)));
  if (!Number.isInteger(days) || days < 1) throw new Error('--days must be a positive integer');
  const paths = pkiPaths(dataDir);
  if (!existsSync(paths.caCert) || !existsSync(paths.caKey)) {
    throw new Error(`no cluster CA in ${paths.dir}: run "portcullis up --data-dir ${dataDir}" first`);
  }
  const ca = { certPem: readFileSync(paths.caCert, 'utf8'), keyPem: readFileSync(paths.caKey, 'utf8') };
  const server = flag(args, 'server', '') || serverFromAdminKubeconfig(dataDir) || 'https://127.0.0.1:6443';
  const cert = issueCert(ca, { commonName: user, organizations: groups, usage: 'client', now: new Date(), validityDays: days });
  const text = renderKubeconfig({ server, caCertPem: ca.certPem, clientCertPem: cert.certPem, clientKeyPem: cert.keyPem, userName: user });
  const file = flag(args, 'out', '');
  if (file) writeKubeconfig(file, text);
  else out(text);
  return 0;
}

function serverFromAdminKubeconfig(dataDir: string): string | undefined {
  const p = join(dataDir, 'admin.kubeconfig');
  if (!existsSync(p)) return undefined;
  try {
    return loadKubeconfig(p).server;
  } catch {
    // An unreadable admin kubeconfig only loses the default; --server still works.
    return undefined;
  }
}
