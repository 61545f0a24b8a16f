/**
 * A bound on how deeply a YAML text nests, found before the text is composed. The `yaml`
 * library composes recursively: a body nested some thousand levels overflows the stack, and one
 * nested a million levels (3 MiB of '[' or '- ') takes it 15-20 s of CPU first. Its lexer is a
 * flat state machine, so this walks the lexer's tokens, stopping as soon as the bound is passed:
 * - flow collections ('[', '{') count one level each, exactly;
 * - block collections are counted from indentation: each distinct deeper indentation of a
 *   line's first token (outside flow collections) may open at most two collections (a mapping
 *   and a sequence as one of its values, at the same column), and each '-', '?' or ':'
 *   indicator on the line at most one more.
 * The estimate is an upper bound of the real depth, within a factor of about two; callers
 * refuse a text over a multiple of their real limit and check the composed value exactly.
 * Scalars (quoted, plain, block) are single tokens, so brackets inside them do not count; a
 * block scalar's content does not count as lines either.
 */
import { CST, Lexer } from 'yaml';

/** Whether the YAML `text` may nest deeper than `bound` (see above); false is certain. */
export function yamlMayExceedDepth(text: string, bound: number): boolean {
  let flow = 0;
  const indents: number[] = [];
  let lineStart = true;
  let indent = 0;
  let indicators = 0;
  // A block scalar's content comes as one token (after the header, a newline and a scalar
  // marker) that ends with its last line's newline: 1 after the header, 2 after the marker.
  let blockScalar = 0;
  for (const tok of new Lexer().lex(text)) {
    const type = CST.tokenType(tok);
    if (blockScalar === 1 && type === 'scalar') {
      blockScalar = 2;
      continue;
    }
    if (blockScalar === 2) {
      blockScalar = 0;
      lineStart = true;
      indent = 0;
      indicators = 0;
      continue;
    }
    if (type === 'block-scalar-header') blockScalar = 1;
    switch (type) {
      case 'newline':
        lineStart = true;
        indent = 0;
        indicators = 0;
        continue;
      case 'space':
        if (lineStart) indent = tok.length;
        continue;
      case 'comment':
      case 'doc-mode':
      case 'byte-order-mark':
        continue;
      default:
    }
    if (lineStart) {
      lineStart = false;
      if (flow === 0) {
        while (indents.length > 0 && indents[indents.length - 1]! > indent) indents.pop();
        if (indents.length === 0 || indents[indents.length - 1]! < indent) indents.push(indent);
      }
    }
    switch (type) {
      case 'flow-map-start':
      case 'flow-seq-start':
        flow++;
        break;
      case 'flow-map-end':
      case 'flow-seq-end':
        if (flow > 0) flow--;
        break;
      case 'seq-item-ind':
      case 'explicit-key-ind':
      case 'map-value-ind':
        if (flow === 0) indicators++;
        break;
      default:
    }
    if (flow + 2 * indents.length + indicators > bound) return true;
  }
  return false;
}
