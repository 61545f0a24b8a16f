/**
 * A page of a list at an older revision (every continuation once anything was written after the
 * first page: kubectl's --chunk-size pages, the denial Events' sweep) reads only about its limit
 * of rows: listAt walks log_key_revision in key order and stops at the LIMIT. Its earlier form
 * filtered the grouped rows in an outer query whose ORDER BY SQLite sorted in a temporary B-tree,
 * so every page read and sorted the whole rest of the range (60,000 Events: ~130 ms a page,
 * pages of 500 quadratic in the range).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { createSchema, NO_END, prepareStatements } from './sqlite-schema.ts';

test('listAt stops at its LIMIT: no temporary B-tree sorting the rest of the range', () => {
  const db = new Database(':memory:');
  try {
    createSchema(db);
    const stmts = prepareStatements(db);
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${stmts.listAt.source}`).all('/a/', NO_END, 10, 501) as Array<{ detail: string }>;
    const details = plan.map((r) => r.detail);
    assert.ok(!details.some((d) => /TEMP B-TREE/.test(d)), details.join(' | '));
    assert.ok(details.some((d) => /USING (COVERING )?INDEX log_key_revision/.test(d)), details.join(' | '));
  } finally {
    db.close();
  }
});

test('listAt: each key as of the revision, deleted ones left out, in key order, limited', () => {
  const db = new Database(':memory:');
  try {
    createSchema(db);
    const stmts = prepareStatements(db);
    // (revision, key, create_revision, prev_revision, deleted, value)
    const rows: Array<[number, string, number, number, number, string]> = [
      [1, '/a/x', 1, 0, 0, 'x1'],
      [2, '/a/y', 2, 0, 0, 'y1'],
      [3, '/a/x', 1, 1, 0, 'x2'],
      [4, '/a/y', 2, 2, 1, 'y1'], // y deleted
      [5, '/a/z', 5, 0, 0, 'z1'],
      [6, '/a/y', 6, 0, 0, 'y2'], // y created again
      [7, '/b/q', 7, 0, 0, 'q1'],
    ];
    for (const r of rows) stmts.insertLog.run(...r);
    const at = (rev: number, limit = -1, from = '/a/') => stmts.listAt.all(from, '/a0', rev, limit).map((r) => `${r.key}@${r.revision}=${r.value}`);
    assert.deepEqual(at(1), ['/a/x@1=x1']);
    assert.deepEqual(at(2), ['/a/x@1=x1', '/a/y@2=y1']);
    assert.deepEqual(at(3), ['/a/x@3=x2', '/a/y@2=y1']);
    assert.deepEqual(at(4), ['/a/x@3=x2']);
    assert.deepEqual(at(5), ['/a/x@3=x2', '/a/z@5=z1']);
    assert.deepEqual(at(6), ['/a/x@3=x2', '/a/y@6=y2', '/a/z@5=z1']);
    assert.deepEqual(at(7), ['/a/x@3=x2', '/a/y@6=y2', '/a/z@5=z1']);
    assert.deepEqual(at(7, 2), ['/a/x@3=x2', '/a/y@6=y2']);
    assert.deepEqual(at(5, 1, '/a/x\u0000'), ['/a/z@5=z1'], 'the deleted key does not take the page\'s one place');
    assert.deepEqual(stmts.listAt.all('/a/x\u0000', '/a0', 5, 1)[0]?.create_revision, 5);
  } finally {
    db.close();
  }
});
