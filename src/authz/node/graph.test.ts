import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeGraph, vertexId } from './graph.ts';

const secret = (n: string) => vertexId('secret', 'ns', n);
const pod = (n: string) => vertexId('pod', 'ns', n);
const node = (n: string) => vertexId('node', '', n);

describe('NodeGraph', () => {
  test('paths follow edges; replacing an owner drops its old edges; deleting leaves nothing behind', () => {
    const g = new NodeGraph();
    g.setOwner(pod('p1'), [secret('a'), secret('shared')], [node('n1')]);
    g.setOwner(pod('p2'), [secret('shared')], [node('n2')]);
    const cases: [string, boolean][] = [
      [`${secret('a')}->n1`, g.hasPath(secret('a'), node('n1'))],
      [`${secret('a')}->n2`, g.hasPath(secret('a'), node('n2'))],
      [`${secret('shared')}->n1`, g.hasPath(secret('shared'), node('n1'))],
      [`${secret('shared')}->n2`, g.hasPath(secret('shared'), node('n2'))],
      ['unknown start', g.hasPath(secret('nope'), node('n1'))],
    ];
    assert.deepEqual(
      cases.map(([, v]) => v),
      [true, false, true, true, false],
    );

    g.setOwner(pod('p1'), [secret('b')], [node('n1')]);
    assert.equal(g.hasPath(secret('a'), node('n1')), false);
    assert.equal(g.hasPath(secret('b'), node('n1')), true);
    assert.equal(g.hasPath(secret('shared'), node('n1')), false);
    assert.equal(g.hasPath(secret('shared'), node('n2')), true);

    g.deleteOwner(pod('p1'));
    g.deleteOwner(pod('p2'));
    assert.equal(g.edgeCount(), 0);
  });

  test('multi-hop paths (secret → pv → pvc → pod → node) and cycles terminate', () => {
    const g = new NodeGraph();
    const pv = vertexId('pv', '', 'pv1');
    const pvc = vertexId('pvc', 'ns', 'c1');
    g.setOwner(pod('p1'), [pvc], [node('n1')]);
    g.setOwner(pv, [secret('csi')], [pvc]);
    assert.equal(g.hasPath(secret('csi'), node('n1')), true);
    assert.equal(g.hasPath(pv, node('n1')), true);
    // A cycle cannot arise from real objects, but the walk must not loop on one.
    g.setOwner(pod('loop'), [pvc], [pv]);
    assert.equal(g.hasPath(pv, node('n2')), false);
  });

  test('setting an owner to the edges it has changes nothing; any difference replaces them', () => {
    const g = new NodeGraph();
    g.setOwner(pod('p1'), [secret('a'), secret('b')], [node('n1')]);
    // The same edges in another order, with a duplicate and a self-edge (never added).
    g.setOwner(pod('p1'), [secret('b'), secret('a'), secret('a'), pod('p1')], [node('n1')]);
    assert.equal(g.edgeCount(), 3);
    assert.equal(g.hasPath(secret('a'), node('n1')), true);
    // One fewer reference, one more, another node: each replaces the owner's edges.
    g.setOwner(pod('p1'), [secret('a')], [node('n1')]);
    assert.equal(g.hasPath(secret('b'), node('n1')), false);
    g.setOwner(pod('p1'), [secret('a'), secret('c')], [node('n1')]);
    assert.equal(g.hasPath(secret('c'), node('n1')), true);
    g.setOwner(pod('p1'), [secret('a'), secret('c')], [node('n2')]);
    assert.equal(g.hasPath(secret('a'), node('n1')), false);
    assert.equal(g.hasPath(secret('a'), node('n2')), true);
    assert.equal(g.edgeCount(), 3);
    // An owner with no edges yet, given none: still none.
    g.setOwner(pod('p2'), [], []);
    assert.equal(g.edgeCount(), 3);
    // As many references as edges held, all held, but one repeated (or the owner itself): the
    // edge no longer named goes, as the set of references is smaller.
    g.setOwner(pod('p1'), [secret('a'), secret('a')], [node('n2')]);
    assert.equal(g.hasPath(secret('c'), node('n2')), false);
    assert.equal(g.edgeCount(), 2);
    g.setOwner(pod('p1'), [secret('a'), secret('c')], [node('n2')]);
    g.setOwner(pod('p1'), [secret('a'), pod('p1')], [node('n2')]);
    assert.equal(g.hasPath(secret('c'), node('n2')), false);
    assert.equal(g.edgeCount(), 2);
    // A long list (more than the in-place comparison takes) the same way.
    const many = Array.from({ length: 12 }, (_, i) => secret(`m${i}`));
    g.setOwner(pod('p1'), many, [node('n2')]);
    g.setOwner(pod('p1'), [...many.slice(0, 11), many[0]!], [node('n2')]);
    assert.equal(g.hasPath(secret('m11'), node('n2')), false);
    assert.equal(g.edgeCount(), 12);
  });
});
