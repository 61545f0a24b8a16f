/**
 * The selector part of the authorization attributes, parsed from a request's raw fieldSelector
 * and labelSelector once (upstream filters/authorization.go GetAuthorizerAttributes): a parse
 * error is kept beside empty requirements rather than failing the request here, because the
 * REST layer answers it with its own 400 if authorization lets the request through.
 */
import { ApiError } from '../api/errors.ts';
import { parseFieldSelector } from '../api/selectors/field-selector.ts';
import { parseLabelSelector } from '../api/selectors/label-selector.ts';
import type { AuthzAttributes } from './types.ts';

export type SelectorAttributes = Pick<AuthzAttributes, 'fieldSelector' | 'fieldSelectorError' | 'labelSelector' | 'labelSelectorError'>;

export function selectorAttributes(raw: { fieldSelector?: string; labelSelector?: string }): SelectorAttributes {
  const out: SelectorAttributes = {};
  const f = parsed(raw.fieldSelector, parseFieldSelector);
  if (f.requirements) out.fieldSelector = f.requirements;
  if (f.error) out.fieldSelectorError = f.error;
  const l = parsed(raw.labelSelector, parseLabelSelector);
  if (l.requirements) out.labelSelector = l.requirements;
  if (l.error) out.labelSelectorError = l.error;
  return out;
}

/** Requirements when there are any, the parser's message when it refused; nothing for ''. */
function parsed<T>(raw: string | undefined, parse: (s: string) => { requirements: readonly T[] }): { requirements?: readonly T[]; error?: string } {
  if (!raw) return {};
  try {
    const { requirements } = parse(raw);
    return requirements.length > 0 ? { requirements } : {};
  } catch (e) {
    // The parsers throw ApiError (400) for bad input; anything else is a bug to surface.
    if (e instanceof ApiError) return { error: e.message };
    throw e;
  }
}
