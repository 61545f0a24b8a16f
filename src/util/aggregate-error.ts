/**
 * The text of k8s.io/apimachinery/pkg/util/errors NewAggregate(errs).Error(), the one way upstream
 * joins several errors into one message: nil entries dropped, nothing left → no error at all, one
 * error → its own text, several → nested aggregates flattened, repeated messages dropped (first
 * one kept), and brackets only when more than one distinct message is left: "[a, b, c]".
 */

/**
 * One entry of the list: an error (its text or an Error), a nested aggregate (an Aggregate, or an
 * array NewAggregate would have been given), or null/undefined for Go's nil.
 */
export type AggregateItem = string | Error | readonly AggregateItem[] | null | undefined;

/**
 * The error NewAggregate returns: its message is the aggregate's text, and it keeps its entries so
 * that an aggregate it ends up in flattens them as upstream's visit does ("[a, b, c]", not
 * "[[a, b], c]"). Its name stays "Error": only the text is upstream's contract.
 */
export class Aggregate extends Error {
  readonly errors: readonly AggregateItem[];
  constructor(message: string, errors: readonly AggregateItem[]) {
    super(message);
    this.errors = errors;
  }
}

/** NewAggregate(items): undefined (Go's nil) when nothing but nils is given. */
export function newAggregate(items: readonly AggregateItem[]): Aggregate | undefined {
  const message = aggregateMessage(items);
  return message === undefined ? undefined : new Aggregate(message, items);
}

/** NewAggregate(items)?.Error(): undefined where upstream returns a nil aggregate. */
export function aggregateMessage(items: readonly AggregateItem[]): string | undefined {
  let only: AggregateItem;
  let count = 0;
  for (const item of items) {
    if (isNil(item)) continue;
    if (++count > 1) break;
    only = item;
  }
  if (count === 0) return undefined;
  if (count === 1) return textOf(only);
  const seen = new Set<string>();
  visit(items, seen);
  const msgs = [...seen];
  return msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`;
}

/** aggregate.visit: every leaf error in order, nested aggregates flattened; a Set keeps first-seen order. */
function visit(items: readonly AggregateItem[], seen: Set<string>): void {
  for (const item of items) {
    if (item === null || item === undefined) continue;
    if (typeof item === 'string') seen.add(item);
    else if (item instanceof Aggregate) visit(item.errors, seen);
    else if (item instanceof Error) seen.add(item.message);
    else if (Array.isArray(item)) visit(item, seen);
    // Whatever else a catch clause handed over: its string form, as %v would print it.
    else seen.add(String(item));
  }
}

/** Go's nil, or a nested list NewAggregate would have turned into nil (nothing but nils in it). */
function isNil(item: AggregateItem): boolean {
  if (item === null || item === undefined) return true;
  return Array.isArray(item) && item.every(isNil);
}

/** One non-nil entry's Error(). */
function textOf(item: AggregateItem): string | undefined {
  if (item === null || item === undefined) return undefined;
  if (typeof item === 'string') return item;
  if (item instanceof Error) return item.message;
  return Array.isArray(item) ? aggregateMessage(item) : String(item);
}
