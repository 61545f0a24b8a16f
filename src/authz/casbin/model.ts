/**
 * A Casbin model (.conf) checked for what the Casbin authorization mode can serve: one request,
 * policy, effect and matcher definition (r, p, e, m; role definitions g, g2… as wanted), request
 * tokens Portcullis supplies (request.ts), and one of casbin's effects. Anything else is refused
 * when the model is loaded, so a bad model stops the start instead of failing every request.
 */
import { newModelFromString, type Model } from 'casbin';
import { checkRequestTokens, type RequestToken } from './request.ts';
import type { PolicyShapes } from './policy.ts';

export const EFFECTS = {
  allow: 'some(where (p_eft == allow))',
  deny: '!some(where (p_eft == deny))',
  allowAndDeny: 'some(where (p_eft == allow)) && !some(where (p_eft == deny))',
  priority: 'priority(p_eft) || deny',
} as const;
export type EffectKind = keyof typeof EFFECTS;

export interface CasbinModel {
  text: string;
  /** Where it came from, for messages. */
  source: string;
  requestTokens: RequestToken[];
  /** Field names of p (without the "p_" prefix). */
  policyTokens: string[];
  effect: EffectKind;
  /** The matcher as casbin holds it (r_x, p_y spelling, comments removed). */
  matcher: string;
  shapes: PolicyShapes;
  /** A fresh casbin model for one enforcer (an enforcer keeps its policy in its model). */
  fresh(): Model;
}

export function loadCasbinModel(text: string, source: string): CasbinModel {
  let m: Model;
  try {
    m = newModelFromString(text);
  } catch (err) {
    throw new Error(`${source}: ${(err as Error).message}`);
  }
  for (const sec of ['r', 'p', 'e', 'm']) {
    const keys = [...(m.model.get(sec)?.keys() ?? [])];
    if (keys.length !== 1 || keys[0] !== sec) throw new Error(`${source}: the Casbin mode serves one ${sec} definition named "${sec}" (found: ${keys.join(', ') || 'none'})`);
  }
  const strip = (tokens: string[], prefix: string) => tokens.map((t) => t.slice(prefix.length));
  const requestTokens = checkRequestTokens(strip(m.model.get('r')!.get('r')!.tokens, 'r_'), source);
  const policyTokens = strip(m.model.get('p')!.get('p')!.tokens, 'p_');
  const effectText = m.model.get('e')!.get('e')!.value;
  const effect = (Object.keys(EFFECTS) as EffectKind[]).find((k) => EFFECTS[k] === effectText);
  if (!effect) throw new Error(`${source}: policy effect "${effectText.replace(/_/g, '.')}" is not one the Casbin mode serves (${Object.values(EFFECTS).map((e) => e.replace(/_/g, '.')).join(' | ')})`);
  if (effect !== 'allow' && !policyTokens.includes('eft')) throw new Error(`${source}: a policy effect naming p.eft needs an "eft" field in the policy definition`);
  const shapes = new Map<string, string[]>([['p', policyTokens]]);
  for (const [key, a] of m.model.get('g') ?? []) shapes.set(key, a.value.split(',').map((s) => s.trim()));
  return { text, source, requestTokens, policyTokens, effect, matcher: m.model.get('m')!.get('m')!.value, shapes, fresh: () => newModelFromString(text) };
}
