/** kube-apiserver's --etcd-* flags, as `portcullis up` takes them: without --etcd-servers the store is SQLite. */
import { flag, type ParsedArgs } from './args.ts';
import { parseEtcdServers, type EtcdConnection } from '../storage/etcd/etcd-client.ts';

export const ETCD_FLAGS = ['etcd-servers', 'etcd-cafile', 'etcd-certfile', 'etcd-keyfile', 'etcd-prefix'] as const;

export function etcdFromFlags(args: ParsedArgs): (EtcdConnection & { prefix: string }) | undefined {
  const servers = flag(args, 'etcd-servers', '');
  if (!servers) {
    const stray = ETCD_FLAGS.filter((f) => args.flags.has(f));
    if (stray.length > 0) throw new Error(`--${stray[0]} needs --etcd-servers`);
    return undefined;
  }
  const str = (name: string) => flag(args, name, '') || undefined;
  const prefix = flag(args, 'etcd-prefix', '/registry');
  if (!prefix.startsWith('/')) throw new Error(`invalid --etcd-prefix ${JSON.stringify(prefix)}: it must start with /`);
  return { servers: parseEtcdServers(servers), caFile: str('etcd-cafile'), certFile: str('etcd-certfile'), keyFile: str('etcd-keyfile'), prefix };
}
