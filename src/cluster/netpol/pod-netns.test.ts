import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, linkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPodNamespaces, networkNamespaces } from './pod-netns.ts';

test('each namespace is asked once (same inode under several paths), named ones first; addresses map to the first namespace holding them', async () => {
  const root = mkdtempSync(join(tmpdir(), 'pod-netns-'));
  try {
    mkdirSync(join(root, 'netns'));
    mkdirSync(join(root, 'proc', '12', 'ns'), { recursive: true });
    mkdirSync(join(root, 'proc', '13', 'ns'), { recursive: true });
    mkdirSync(join(root, 'proc', 'self', 'ns'), { recursive: true });
    writeFileSync(join(root, 'netns', 'pod-a'), '');
    linkSync(join(root, 'netns', 'pod-a'), join(root, 'proc', '12', 'ns', 'net'));
    writeFileSync(join(root, 'proc', '13', 'ns', 'net'), '');
    writeFileSync(join(root, 'proc', 'self', 'ns', 'net'), '');
    const all = networkNamespaces({ named: join(root, 'netns'), proc: join(root, 'proc') });
    assert.deepEqual(all, [join(root, 'netns', 'pod-a'), join(root, 'proc', '13', 'ns', 'net')]);
    const addrs: Record<string, string[]> = { [all[0]!]: ['127.0.0.1', '10.244.0.5'], [all[1]!]: ['10.244.0.6', '10.244.0.5'] };
    const asked: string[] = [];
    const found = await findPodNamespaces(['10.244.0.5', '10.244.0.6', '10.244.9.9'], { namespaces: all, lister: async (ns) => (asked.push(ns), addrs[ns] ?? []) });
    assert.deepEqual([...found], [['10.244.0.5', all[0]], ['10.244.0.6', all[1]]]);
    assert.deepEqual(asked, all);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
