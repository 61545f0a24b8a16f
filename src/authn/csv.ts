/**
 * CSV as Go's encoding/csv reads it with upstream's token-file settings (comma separator, any
 * number of fields, strict quotes, no comment character, no space trimming), so a file that
 * kube-apiserver accepts parses the same here and a file it refuses is refused here too.
 */

export interface CsvRecord {
  fields: string[];
  /** 1-based line on which the record starts. */
  line: number;
}

export class CsvError extends Error {
  readonly line: number;
  readonly column: number;
  constructor(line: number, column: number, message: string) {
    super(`parse error on line ${line}, column ${column}: ${message}`);
    this.name = 'CsvError';
    this.line = line;
    this.column = column;
  }
}

export function parseCsv(text: string): CsvRecord[] {
  const src = text.replace(/\r\n/g, '\n');
  const records: CsvRecord[] = [];
  let i = 0;
  let line = 1;
  while (i < src.length) {
    if (src[i] === '\n') {
      // Empty lines are skipped, as Go does.
      i++;
      line++;
      continue;
    }
    const start = line;
    const fields: string[] = [];
    let lineStart = i;
    for (;;) {
      if (src[i] === '"') {
        let value = '';
        i++;
        for (;;) {
          const q = src.indexOf('"', i);
          if (q < 0) throw new CsvError(line, src.length - lineStart + 1, 'extraneous or missing " in quoted-field');
          const chunk = src.slice(i, q);
          for (let k = chunk.indexOf('\n'); k >= 0; k = chunk.indexOf('\n', k + 1)) {
            line++;
            lineStart = i + k + 1;
          }
          value += chunk;
          i = q + 1;
          if (src[i] === '"') {
            value += '"';
            i++;
            continue;
          }
          if (i >= src.length || src[i] === ',' || src[i] === '\n') break;
          throw new CsvError(line, i - lineStart + 1, 'extraneous or missing " in quoted-field');
        }
        fields.push(value);
      } else {
        let end = i;
        while (end < src.length && src[end] !== ',' && src[end] !== '\n') end++;
        const value = src.slice(i, end);
        const bare = value.indexOf('"');
        if (bare >= 0) throw new CsvError(line, i + bare - lineStart + 1, 'bare " in non-quoted-field');
        fields.push(value);
        i = end;
      }
      if (src[i] === ',') {
        i++;
        continue;
      }
      // End of record: newline or end of input.
      if (src[i] === '\n') {
        i++;
        line++;
      }
      break;
    }
    records.push({ fields, line: start });
  }
  return records;
}
