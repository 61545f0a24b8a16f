/** /version: the Kubernetes version we speak. kubectl's dispatcher picks its binary by the minor. */
export const KUBERNETES_MAJOR = '1';
export const KUBERNETES_MINOR = '33';

export function versionInfo(): Record<string, string> {
  return {
    major: KUBERNETES_MAJOR,
    minor: KUBERNETES_MINOR,
    gitVersion: `v${KUBERNETES_MAJOR}.${KUBERNETES_MINOR}.0+portcullis`,
    gitCommit: 'portcullis',
    gitTreeState: 'clean',
    buildDate: '2026-11-24T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: process.features.typescript ? 'node' : 'tsx',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}
