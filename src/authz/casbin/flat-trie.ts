/**
 * The compiled index's trie (compiled.ts) as it is built, and flattened into int records: a
 * decision walks typed arrays, never objects (at 100k lines every object is a cache miss).
 *
 * A node's fields are NODE ints [x, y, star]:
 *   leaf:  x = start of its lines in the packed leaf arrays, y = count << LEVEL_BITS | level (y >= 0)
 *   inner: x = its node number (the edge table's key), y = -1 - the level it splits on (y < 0)
 *   star:  its "*" child's node number, -1 when none.
 * A record is RECORD ints: the node's fields, then its "*" child's fields (-1s when none). Records
 * are kept per node in #nodes, with each edge in the edge table (child-table.ts) and per
 * principal in a NameTable (name-table.ts), so reaching a node's "*" child costs no cache miss
 * of its own: a group with a few hundred lines is walked as node, "*" child, "*" grandchild.
 */
import { ChildTable, NODE, RECORD } from './child-table.ts';

/** Bits of a leaf's y that hold its level (so at most 2^LEVEL_BITS - 1 terms). */
export const LEVEL_BITS = 6;

/**
 * While building: an inner node (children by the value of the term at `level`), or a leaf: its
 * lines are [start, start + count) of the packed leaf arrays, and the levels before `level` are
 * already decided by the path to it. Then flattened by flatten().
 */
export class TrieNode {
  rows: number[] | null = [];
  level = 0;
  /** Children by the value id of the term at `level`. */
  exact: Map<number, TrieNode> | null = null;
  star: TrieNode | null = null;
  start = 0;
  count = 0;
  /** Its number in the flat trie. */
  id = -1;
}

/**
 * The trie as node records (RECORD ints per node, by node number) and an edge table, node 0 the
 * root, numbered depth first with a node's "*" child right after it.
 */
export function flatten(root: TrieNode): [Int32Array, ChildTable] {
  const order: TrieNode[] = [];
  let edges = 0;
  const number = (node: TrieNode): void => {
    order.push(node);
    if (node.star) number(node.star);
    if (!node.exact) return;
    edges += node.exact.size;
    for (const c of node.exact.values()) number(c);
  };
  number(root);
  order.forEach((node, i) => (node.id = i));
  const nodes = new Int32Array(order.length * RECORD);
  const children = new ChildTable(edges);
  for (const node of order) {
    record(node, nodes, node.id * RECORD);
    for (const [id, c] of node.exact ?? []) record(c, children.slots, children.add(node.id, id));
  }
  return [nodes, children];
}

function record(node: TrieNode, out: Int32Array, at: number): void {
  fields(node, out, at);
  if (node.star) fields(node.star, out, at + NODE);
  else out.fill(-1, at + NODE, at + RECORD);
}

function fields(node: TrieNode, out: Int32Array, at: number): void {
  out[at] = node.exact ? node.id : node.start;
  out[at + 1] = node.exact ? -1 - node.level : (node.count << LEVEL_BITS) | node.level;
  out[at + 2] = node.star ? node.star.id : -1;
}
