import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CsvError, parseCsv } from './csv.ts';

const ok: { name: string; text: string; want: [number, string[]][] }[] = [
  { name: 'simple', text: 'a,b,c\n', want: [[1, ['a', 'b', 'c']]] },
  { name: 'no final newline', text: 'a,b', want: [[1, ['a', 'b']]] },
  { name: 'CRLF', text: 'a,b\r\nc,d\r\n', want: [[1, ['a', 'b']], [2, ['c', 'd']]] },
  { name: 'empty lines skipped, numbers kept', text: '\n\na\n\nb,c\n', want: [[3, ['a']], [5, ['b', 'c']]] },
  { name: 'quoted comma', text: 't,u,1,"g1,g2"\n', want: [[1, ['t', 'u', '1', 'g1,g2']]] },
  { name: 'escaped quote', text: '"a""b",c', want: [[1, ['a"b', 'c']]] },
  { name: 'quoted newline spans lines', text: '"a\nb",c\nd\n', want: [[1, ['a\nb', 'c']], [3, ['d']]] },
  { name: 'trailing empty field', text: 'a,b,\n', want: [[1, ['a', 'b', '']]] },
  { name: 'hash is data, not a comment', text: '#x,y,z\n', want: [[1, ['#x', 'y', 'z']]] },
  { name: 'spaces kept', text: ' a , b\n', want: [[1, [' a ', ' b']]] },
];
for (const c of ok) {
  test(`parseCsv: ${c.name}`, () => {
    assert.deepEqual(parseCsv(c.text).map((r) => [r.line, r.fields]), c.want);
  });
}

const bad: { name: string; text: string; line: number; msg: RegExp }[] = [
  { name: 'bare quote', text: 'a,b\nc,d"e\n', line: 2, msg: /bare " in non-quoted-field/ },
  { name: 'text after closing quote', text: '"a"b,c\n', line: 1, msg: /extraneous or missing " in quoted-field/ },
  { name: 'unterminated quote', text: 'x\n"abc\n', line: 2, msg: /extraneous or missing "/ },
];
for (const c of bad) {
  test(`parseCsv rejects: ${c.name}`, () => {
    assert.throws(() => parseCsv(c.text), (e: unknown) => e instanceof CsvError && e.line === c.line && c.msg.test(e.message));
  });
}
