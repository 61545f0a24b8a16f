// Each command's modules are imported when it runs: a node agent does not load the API server,
// the controllers, CEL and the admission chain it never runs (~70 MiB resident).
import { RestClient } from '../cluster/client/rest-client.ts';

const USAGE = `usage: portcullis <command> [flags]

commands:
  up        run the whole control plane on this machine (embedded SQLite store)
            --port 6443  --bind-address 127.0.0.1  --data-dir ./.portcullis  --log-level info
            --controllers '*'  --leader-elect=true  (the controller manager and scheduler run inside)
            --scheduler-config F  (a KubeSchedulerConfiguration for that scheduler, as scheduler --config)
            --local-agent=true  (a node agent for this host, when it can run pods: root, runc, busybox)
            --audit-policy-file F  --audit-log-path F|-  --audit-log-maxsize/maxbackup/maxage N  --audit-webhook-config-file F
            --allow-privileged=false  (true: privileged containers and Windows hostProcess pods pass validation)
  apiserver the API server alone (no controllers, scheduler or agent); several share one etcd
            --etcd-servers URLS  [--data-dir ./.portcullis (copy <data-dir>/pki from the first server)]
            [--port 6443]  [--bind-address 127.0.0.1]  and the API server flags of up
  audit verify FILE...  check an audit log's hash chain and signed checkpoints (rotated files in any order)
            [--key audit-signing.pub | --data-dir ./.portcullis]
  kubeconfig  mint a client certificate from the cluster CA and print a kubeconfig for it
            --user NAME  [--group G]...  [--data-dir ./.portcullis]  [--server URL]  [--out FILE]
  who-can   list the subjects RBAC allows, with the binding and role that allow each
            VERB RESOURCE[.GROUP][/SUB] [NAME] [-n NS] [--data-dir ./.portcullis]
  agent     a node agent: joins by bootstrap token, registers the Node, runs its pods with runc (root)
            --kubeconfig BOOTSTRAP.kubeconfig  [--node NAME (host name)]  [--data-dir ./.portcullis-agent]
            [--node-ip IP]  [--max-pods 110]
  sim nodes N  run N simulated nodes (kwok-style) until stopped, as the kubeconfig's identity
            --kubeconfig FILE  [--name-prefix sim-node-]  [--capacity cpu=32,memory=256Gi,pods=110,...]
            [--job-run-time 5s]  [--lease-renew-interval 10s]  [--status-update-interval 5m]  [--max-in-flight 32]
  controller-manager  run the controllers (ReplicaSet, Deployment, ...) as the kubeconfig's identity
            --kubeconfig FILE  [--controllers '*,-foo']  [--leader-elect=true]  [--leader-elect-lease-duration 15s]
            [--leader-elect-renew-deadline 10s]  [--leader-elect-retry-period 2s]
  scheduler run the scheduler as the kubeconfig's identity
            --kubeconfig FILE  [--config KubeSchedulerConfiguration.yaml]  [--leader-elect=true] ...
  explain AUDIT-ID  why a request was answered as it was: authentication, the RBAC binding or
            denial, each admission plugin's verdict  --kubeconfig FILE  [--output text|json]
            [--audit-log-path FILE]...
  webhook   the policy engine served to an existing cluster over HTTPS: /imagereview (ImagePolicyWebhook),
            /validate and /mutate (AdmissionReview) from policy files
            --tls-cert-file F --tls-private-key-file F --policies DIR|FILE[,...]  [--client-ca-file F]
            [--kubeconfig F]  [--bind-address 0.0.0.0]  [--port 8443]  [--request-timeout 60s]
  image     build, push, sign and verify OCI images (build | push | keygen | sign | verify; see portcullis image help)
  snapshot  back up and restore the store: state.db (also while the server runs) or etcd (--etcd-servers)
            save FILE [--data-dir ./.portcullis]  |  restore FILE --data-dir NEW-DIR  |  status FILE
  netpol analyze  the connections NetworkPolicies and AdminNetworkPolicies permit (np-guard's connlist)
            -f DIR | --live --kubeconfig FILE [--probe [--probe-ports P,..] [--probe-timeout 1s]]   [-o txt|json]
  policy test PATH  run the PolicyTest and CasbinTest files (portcullis-test.yaml) under PATH offline; exit 1 on a mismatch
  policy eval -f RESOURCES --policy FILE...  each policy's verdict on each resource, offline [-o text|json]
  policy explain AUDIT-ID | -f RESOURCE --as USER [--as-group G] [--rbac F] [--casbin-model M --casbin-policy P] [--policy F]
            why a request was (or would be) let through or refused: authentication, authorization, admission
`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'up':
        return await (await import('./up.ts')).runUp(rest);
      case 'apiserver':
        return await (await import('./apiserver.ts')).runApiServer(rest, (s) => process.stdout.write(s));
      case 'audit':
        return await (await import('./audit.ts')).runAudit(rest, (s) => process.stdout.write(s), (s) => process.stderr.write(s));
      case 'kubeconfig':
        return await (await import('./kubeconfig.ts')).runKubeconfig(rest, (s) => process.stdout.write(s));
      case 'who-can':
        return await (await import('./who-can.ts')).runWhoCan(rest, (s) => process.stdout.write(s));
      case 'controller-manager':
        return await (await import('./controller-manager.ts')).runControllerManager(rest, (s) => process.stdout.write(s), (config) => new RestClient(config));
      case 'scheduler':
        return await (await import('./scheduler.ts')).runScheduler(rest, (s) => process.stdout.write(s), (config) => new RestClient(config));
      case 'netpol':
        return await (await import('./netpol.ts')).runNetpol(rest, (s) => process.stdout.write(s), (config) => new RestClient(config));
      case 'policy':
        return await (await import('./policy.ts')).runPolicy(rest, (s) => process.stdout.write(s));
      case 'webhook':
        return await (await import('./webhook.ts')).runWebhook(rest, (s) => process.stdout.write(s));
      case 'image':
        return await (await import('./image.ts')).runImage(rest, (s) => process.stdout.write(s));
      case 'snapshot':
        return await (await import('./snapshot.ts')).runSnapshot(rest, (s) => process.stdout.write(s));
      case 'explain':
        return await (await import('./explain.ts')).runExplain(rest, (s) => process.stdout.write(s), (config) => new RestClient(config));
      case 'agent':
        return await (await import('./agent.ts')).runAgent(rest, (s) => process.stdout.write(s), (config) => new RestClient(config));
      case 'sim':
        return await (await import('./sim.ts')).runSim(rest, (s) => process.stdout.write(s), (config) => new RestClient(config));
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        process.stderr.write(`portcullis: unknown command "${cmd}"\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    process.stderr.write(`portcullis ${cmd}: ${(err as Error).message}\n`);
    return 1;
  }
}
