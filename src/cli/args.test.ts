import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boolFlag, durationFlag, int32Flag, parseCommand, type CommandSpec } from './args.ts';

const UP: CommandSpec = { name: 'up', flags: ['data-dir', 'ttl'], booleans: ['anonymous-auth'] };

const bools: [string[], boolean][] = [
  [[], false],
  [['--anonymous-auth'], true],
  [['--anonymous-auth=true'], true],
  [['--anonymous-auth=false'], false],
  [['--anonymous-auth', 'true'], true],
  // The bug: `false` was dropped as a stray argument and the bare flag read as true.
  [['--anonymous-auth', 'false'], false],
  [['--anonymous-auth', 'False'], false],
  [['--anonymous-auth=0'], false],
  [['--anonymous-auth', 'false', '--data-dir', 'd'], false],
  [['--anonymous-auth', '--data-dir', 'd'], true],
  [['--anonymous-auth', 'false', '--anonymous-auth'], true],
];
for (const [argv, want] of bools) {
  test(`boolean ${argv.join(' ') || '(absent)'} -> ${want}`, () => assert.equal(boolFlag(parseCommand(argv, UP), 'anonymous-auth', false), want));
}

const refused: [string[], RegExp][] = [
  [['--anonymous-auth=maybe'], /invalid argument "maybe" for "--anonymous-auth" flag: strconv.ParseBool/],
  [['--anonymous-auth=yes'], /invalid argument "yes"/],
  [['--anonymous-auth='], /invalid argument ""/],
  [['--anonymous-auth', 'maybe'], /"portcullis up" takes no arguments, got "maybe"/],
  [['stray'], /takes no arguments, got "stray"/],
  [['--data-dir', 'd', 'x', 'y'], /takes no arguments, got "x" "y"/],
  [['--', '--data-dir'], /takes no arguments, got "--data-dir"/],
  [['-v'], /unknown shorthand flag: "-v"/],
  [['--bogus', '1'], /unknown flag: --bogus/],
  [['--bogus=1'], /unknown flag: --bogus/],
  [['--data-dir'], /flag needs an argument: --data-dir/],
];
for (const [argv, want] of refused) {
  test(`refused: ${argv.join(' ')}`, () => assert.throws(() => parseCommand(argv, UP), want));
}

test('value flags take the next word whatever it looks like, and repeat', () => {
  const a = parseCommand(['--data-dir', '-', '--ttl=1m', '--ttl', '2m'], UP);
  assert.deepEqual(a.flags.get('data-dir'), ['-']);
  assert.deepEqual(a.flags.get('ttl'), ['1m', '2m']);
});

test('positional arguments up to the command limit', () => {
  const spec: CommandSpec = { name: 'who-can', flags: ['namespace'], maxPositional: 3 };
  assert.deepEqual(parseCommand(['get', 'pods', 'p1', '--namespace', 'ns'], spec).positional, ['get', 'pods', 'p1']);
  assert.throws(() => parseCommand(['get', 'pods', 'p1', 'p2'], spec), /takes at most 3 arguments; unexpected "p2"/);
});

const durations: [string, number | RegExp][] = [
  ['0', 0], ['500ms', 500], ['1.5s', 1500], ['2m', 120_000], ['1h30m', 5_400_000], ['300us', 0.3], ['300µs', 0.3],
  ['5', /invalid argument "5" for "--ttl" flag: time: missing unit in duration "5"/],
  ['-1s', /"--ttl" flag: must not be negative/],
  ['1d', /unknown unit "d"/],
  ['soon', /invalid duration "soon"/],
];
for (const [v, want] of durations) {
  test(`durationFlag --ttl=${v}`, () => {
    const a = parseCommand([`--ttl=${v}`], UP);
    if (typeof want === 'number') assert.equal(durationFlag(a, 'ttl', '1m'), want);
    else assert.throws(() => durationFlag(a, 'ttl', '1m'), want);
  });
}

test('durationFlag falls back to its default', () => assert.equal(durationFlag(parseCommand([], UP), 'ttl', '30s'), 30_000));

test('int32Flag: decimal, signed, in range, else pflag\'s ParseInt words; absent is the default', () => {
  const v = (x: string) => int32Flag(parseCommand([`--ttl=${x}`], UP), 'ttl', 0);
  assert.equal(int32Flag(parseCommand([], UP), 'ttl', 7), 7);
  assert.equal(v('30'), 30);
  assert.equal(v('-1'), -1);
  assert.throws(() => v('30s'), { message: 'invalid argument "30s" for "--ttl" flag: strconv.ParseInt: parsing "30s": invalid syntax' });
  assert.throws(() => v('2147483648'), { message: 'invalid argument "2147483648" for "--ttl" flag: strconv.ParseInt: parsing "2147483648": value out of range' });
});
