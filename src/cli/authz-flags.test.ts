import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseCommand } from './args.ts';
import { AUTHZ_FLAGS, authorizationFromFlags } from './authz-flags.ts';

const parse = (argv: string[]) => parseCommand(argv, { name: 'up', flags: [...AUTHZ_FLAGS] });

test('flags: modes and their files; --authorization-config instead, never both', () => {
  const dir = mkdtempSync(join(tmpdir(), 'authz-flags-'));
  try {
    const f = authorizationFromFlags(parse(['--authorization-mode=Node,Casbin,RBAC', '--authorization-casbin-model=/m.conf', '--authorization-casbin-policy=/p.csv']));
    assert.deepEqual(f.authorizationModes, ['Node', 'Casbin', 'RBAC']);
    assert.deepEqual(f.authorizationFiles.casbin, { model: '/m.conf', policyFile: '/p.csv', policyConfigMap: undefined });
    const cfg = join(dir, 'authz.yaml');
    writeFileSync(cfg, 'apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\nauthorizers:\n  - {type: Node, name: node}\n  - {type: Casbin, name: casbin, casbin: {model: /m.conf, policy: /p.csv}}\n  - {type: RBAC, name: rbac}\n');
    const c = authorizationFromFlags(parse([`--authorization-config=${cfg}`]));
    assert.deepEqual(c.authorizationModes, ['Node', 'Casbin', 'RBAC']);
    assert.deepEqual(c.authorizationFiles.casbin, { model: '/m.conf', policyFile: '/p.csv', policyConfigMap: undefined });
    assert.throws(() => authorizationFromFlags(parse([`--authorization-config=${cfg}`, '--authorization-mode=RBAC', '--authorization-casbin-model=/m.conf'])), /^Error: --authorization-config cannot be used with --authorization-mode, --authorization-casbin-model$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
