/** The request bodies and paths both servers are measured with. */

export const CONFIGMAPS = (ns: string) => `/api/v1/namespaces/${ns}/configmaps`;

/** A ConfigMap of about 400 bytes as JSON, the size of a typical small config object. */
export function configMap(namespace: string, name: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels: { app: 'bench', tier: 'backend' }, annotations: { 'bench.portcullis.dev/owner': 'load-generator' } },
    data: {
      'app.properties': 'mode=bench\nreplicas=3\nlog.level=info\nfeature.flags=a,b,c\n',
      'greeting.txt': 'hello from the portcullis benchmark',
      timeoutSeconds: '30',
    },
  };
}

export function configMapBody(namespace: string, name: string): string {
  return JSON.stringify(configMap(namespace, name));
}

export function namespaceBody(name: string): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}
