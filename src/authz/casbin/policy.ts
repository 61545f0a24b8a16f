/**
 * A Casbin policy (CSV lines "p, alice, pods, get") parsed as casbin's file adapter parses it
 * (its BracketAwareCsvParser), but strictly: a line whose type the model does not define, or
 * with a field count other than the model's, is an error naming the source and line. Casbin
 * itself skips unknown types and pads short lines, which would turn a typo into a line that
 * never matches, or a deny that never denies.
 */
import { BracketAwareCsvParser } from 'casbin';

export interface PolicyLine {
  /** p, p2, g, g2… */
  ptype: string;
  values: string[];
  /** Where it came from: "policy.csv:12" or "configmap kube-system/authz policy.csv:12". */
  source: string;
}

/** Field names per policy type (p and g sections of the model). */
export type PolicyShapes = ReadonlyMap<string, readonly string[]>;

/** The parsed lines; at most `maxLines` (a bound on what an API object can make us hold). */
export function parsePolicy(text: string, sourceName: string, shapes: PolicyShapes, maxLines = 1_000_000): PolicyLine[] {
  const parser = new BracketAwareCsvParser();
  const out: PolicyLine[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.trim() || line.trimStart().startsWith('#')) continue;
    const source = `${sourceName}:${i + 1}`;
    let tokens: string[];
    try {
      tokens = parser.parse(line)?.[0] ?? [];
    } catch (err) {
      throw new Error(`${source}: ${(err as Error).message}`);
    }
    if (!tokens.length) continue;
    const [ptype, ...rest] = tokens.map(unquote);
    const shape = shapes.get(ptype!);
    if (!shape) throw new Error(`${source}: policy type "${ptype}" is not defined by the model (defined: ${[...shapes.keys()].join(', ')})`);
    if (rest.length !== shape.length) throw new Error(`${source}: ${ptype} line has ${rest.length} fields; the model's ${ptype} has ${shape.length} (${shape.join(', ')})`);
    if (out.length >= maxLines) throw new Error(`${sourceName}: more than ${maxLines} policy lines`);
    out.push({ ptype: ptype!, values: rest, source });
  }
  return out;
}

/** As casbin's PolicyLoader: surrounding quotes dropped, doubled quotes undone, trimmed. */
function unquote(v: string): string {
  const t = v.trim();
  return (t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t).replace(/""/g, '"').trim();
}
