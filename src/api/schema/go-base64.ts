/**
 * Go's base64.StdEncoding.Decode error positions: encoding/json decodes a []byte field from a
 * base64 string and answers `illegal base64 data at input byte N` when it cannot, with N as Go
 * computes it (newlines skipped, padding required, trailing garbage after padding refused).
 * Returns that message, or undefined when the string decodes.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUE = new Int16Array(256).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;
const PAD = 0x3d; // '='
const isNewline = (b: number | undefined) => b === 0x0a || b === 0x0d;

export function base64Error(s: string): string | undefined {
  const src = Buffer.from(s, 'utf8');
  let si = 0;
  // One quantum of four characters at a time, as Go's decodeQuantum.
  while (si < src.length) {
    for (let j = 0; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return undefined;
        return corrupt(si - j);
      }
      const c = src[si]!;
      si++;
      if (VALUE[c]! >= 0) continue;
      if (isNewline(c)) {
        j--;
        continue;
      }
      if (c !== PAD) return corrupt(si - 1);
      // Padding: only after two or three characters of the quantum.
      if (j === 0 || j === 1) return corrupt(si - 1);
      if (j === 2) {
        while (si < src.length && isNewline(src[si])) si++;
        if (si === src.length) return corrupt(src.length);
        if (src[si] !== PAD) return corrupt(si - 1);
        si++;
      }
      while (si < src.length && isNewline(src[si])) si++;
      return si < src.length ? corrupt(si) : undefined;
    }
  }
  return undefined;
}

function corrupt(offset: number): string {
  return `illegal base64 data at input byte ${offset}`;
}
