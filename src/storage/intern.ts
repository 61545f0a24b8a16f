/** The store's string interner (the table itself is src/util/interner.ts, shared with the scheduler's informers). */
import { createInterner } from '../util/interner.ts';

export { createInterner, type Interner } from '../util/interner.ts';

/** The store's: strings up to 128 characters, 65,536 of them (a few MiB at most). */
export const intern = createInterner(128, 65_536);
