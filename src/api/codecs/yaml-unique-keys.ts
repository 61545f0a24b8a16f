/**
 * The `yaml` library's uniqueKeys check compares each new key with every earlier key of its map
 * (mapIncludes: items.some), so a map of n keys costs n²/2 comparisons: 20,000 keys (270 KB)
 * take 6 s, a 3 MiB body of short keys hours. The same rule in linear time: scalar keys of one
 * map are equal when their values are (===), and other keys only when they are the same node.
 */
import { isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';

/** Whether some map of the document has two equal keys (parse it with uniqueKeys: false). */
export function hasDuplicateKeys(doc: Document): boolean {
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const n = stack.pop();
    if (isMap(n)) {
      const seen = new Set<unknown>();
      for (const item of n.items) {
        if (!isPair(item)) continue;
        const key = item.key;
        if (isScalar(key)) {
          // NaN is not === to itself: never a duplicate, as in the library.
          if (!Number.isNaN(key.value)) {
            if (seen.has(key.value)) return true;
            seen.add(key.value);
          }
        }
        stack.push(key as Node, item.value as Node);
      }
    } else if (isSeq(n)) {
      for (const item of n.items) stack.push(item);
    }
  }
  return false;
}
