import { badRequest } from '../errors.ts';
import { MAX_NESTING_DEPTH } from './limits.ts';

/** Rejects values nested deeper than the limit, without recursion (so the check itself cannot overflow). */
export function assertMaxDepth(value: unknown, limit = MAX_NESTING_DEPTH): void {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d > limit) throw badRequest(`the request body is nested deeper than the maximum depth of ${limit}`);
    if (Array.isArray(v)) for (const x of v) stack.push([x, d + 1]);
    else for (const k in v as Record<string, unknown>) stack.push([(v as Record<string, unknown>)[k], d + 1]);
  }
}
