/**
 * apimachinery pkg/api/resource quantity_test.go's tables (TestParseQuantity's canonical strings,
 * TestQuantityString's canonical and alternate texts, TestQuantityParseEmit, TestQuantityParse's
 * invalid inputs), against canonicalQuantity; values, sums and comparisons; and the edges where the
 * project's three former parsers (validation/quantity.ts, quota/quantity.ts, quantity-canonical.ts)
 * disagreed with upstream.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addQty, canonicalQuantity, cmpQty, formatQty, mustParseQty, parseQty, qtyApproximateFloat, qtyAsInt64, qtyFromInt, qtyFromMilli, qtyMilliValue, qtySign, qtyValue, quantityParseError, subQty } from './quantity.ts';

// TestParseQuantity: [input, serialized]
const PARSE: Array<[string, string]> = [["-999999999999999999", "-999999999999999999"], ["999999999999999999", "999999999999999999"], ["-999999999999999999.0", "-999999999999999999"], ["999999999999999999.0", "999999999999999999"], ["-999999999999999999.1", "-999999999999999999100m"], ["999999999999999999.1", "999999999999999999100m"], ["-9999999999999999999", "-9999999999999999999"], ["9999999999999999999", "9999999999999999999"], ["-1E", "-1E"], ["1E", "1E"], ["-1000000000000000000", "-1E"], ["1000000000000000000", "1E"], ["-9999999999999999999.0", "-9999999999999999999"], ["9999999999999999999.0", "9999999999999999999"], ["-1.0E", "-1E"], ["1.0E", "1E"], ["-1000000000000000000.0", "-1E"], ["1000000000000000000.0", "1E"], ["-9999999999999999999000m", "-9999999999999999999"], ["9999999999999999999000m", "9999999999999999999"], ["-9999999999999999999.1", "-9999999999999999999100m"], ["9999999999999999999.1", "9999999999999999999100m"], ["-1.0000000000000000001E", "-1000000000000000000100m"], ["1.0000000000000000001E", "1000000000000000000100m"], ["-1000000000000000000.1", "-1000000000000000000100m"], ["1000000000000000000.1", "1000000000000000000100m"], ["-1.000000000000000001E", "-1000000000000000001"], ["1.000000000000000001E", "1000000000000000001"], ["-1000000000000000001", "-1000000000000000001"], ["1000000000000000001", "1000000000000000001"], ["-10E", "-10E"], ["10E", "10E"], ["-10000000000000000000", "-10E"], ["10000000000000000000", "10E"], ["-10.0E", "-10E"], ["10.0E", "10E"], ["-10000000000000000000.0", "-10E"], ["10000000000000000000.0", "10E"], ["-10000000000000000000000m", "-10E"], ["10000000000000000000000m", "10E"], ["-10.0000000000000000001E", "-10000000000000000000100m"], ["10.0000000000000000001E", "10000000000000000000100m"], ["-10000000000000000000.1", "-10000000000000000000100m"], ["10000000000000000000.1", "10000000000000000000100m"], ["-10.000000000000000001E", "-10000000000000000001"], ["10.000000000000000001E", "10000000000000000001"], ["-10000000000000000001", "-10000000000000000001"], ["10000000000000000001", "10000000000000000001"], ["-9223372036854775809", "-9223372036854775809"], ["9223372036854775806", "9223372036854775806"], ["-9223372036854775809.0", "-9223372036854775809"], ["9223372036854775806.0", "9223372036854775806"], ["-9223372036854775809000m", "-9223372036854775809"], ["9223372036854775806000m", "9223372036854775806"], ["-9223372036854775809.1", "-9223372036854775809100m"], ["9223372036854775806.1", "9223372036854775806100m"], ["-9223372036854775808", "-9223372036854775808"], ["9223372036854775807", "9223372036854775807"], ["-9223372036854775808.0", "-9223372036854775808"], ["9223372036854775807.0", "9223372036854775807"], ["-9223372036854775808000m", "-9223372036854775808"], ["9223372036854775807000m", "9223372036854775807"], ["-9223372036854775808.1", "-9223372036854775808100m"], ["9223372036854775807.1", "9223372036854775807100m"], ["-9223372036854775807", "-9223372036854775807"], ["9223372036854775808", "9223372036854775808"], ["-9223372036854775807.0", "-9223372036854775807"], ["9223372036854775808.0", "9223372036854775808"], ["-9223372036854775807000m", "-9223372036854775807"], ["9223372036854775808000m", "9223372036854775808"], ["-9223372036854775807.1", "-9223372036854775807100m"], ["9223372036854775808.1", "9223372036854775808100m"]];

// TestQuantityString: [canonical, alternate]; the canonical text is kept, the alternate becomes it.
const STRING: Array<[string, string]> = [["1Gi", "1024Mi"], ["300Mi", "307200Ki"], ["6Ki", ""], ["1001Gi", "1025024Mi"], ["1Ti", "1024Gi"], ["5", "5000m"], ["500m", "0.5"], ["1G", "1000M"], ["1G", "0.001T"], ["1G", ""], ["1G", ""], ["1m", "1000u"], ["80m", ""], ["1080m", "1.08"], ["1080m", "1080000000n"], ["1080m", ""], ["300M", ""], ["1T", ""], ["1234567M", ""], ["1234567m", ""], ["3k", ""], ["1025", ""], ["0", ""], ["0", ""], ["1e9", ".001e12"], ["1e-3", "0.001e0"], ["1e-9", "1000e-12"], ["80e-3", ""], ["300e6", ""], ["1e12", ""], ["1e3", ""], ["3e3", ""], ["3k", ""], ["0", "00"], ["1n", ""], ["80n", ""], ["1080n", ""], ["1080n", ""], ["1080n", ""], ["1u", ""], ["80u", ""], ["1080u", ""]];

// TestQuantityParseEmit: [input, String()], and the negated pair.
const EMIT: Array<[string, string]> = [["1Ki", "1Ki"], ["1Mi", "1Mi"], ["1Gi", "1Gi"], ["1024Mi", "1Gi"], ["1000M", "1G"], [".001Ki", "1024m"], [".000001Ki", "1024u"], [".000000001Ki", "1024n"], [".000000000001Ki", "2n"]];

const INVALID = ['1.1.M', '1+1.0M', '0.1mi', '0.1am', 'aoeu', '.5i', '1i', '-3.01i', '-3.01e-', ' 1', '1 ', ''];

test('TestParseQuantity: serialized text', () => {
  for (const [input, want] of PARSE) assert.equal(canonicalQuantity(input), want, input);
});

test('TestQuantityString: canonical text reused, alternates canonicalized, negatives', () => {
  for (const [canonical, alternate] of STRING) {
    assert.equal(canonicalQuantity(canonical), canonical, canonical);
    if (alternate !== '') assert.equal(canonicalQuantity(alternate), canonical, alternate);
    if (canonical !== '0') assert.equal(canonicalQuantity(`-${canonical}`), `-${canonical}`, `-${canonical}`);
  }
});

test('TestQuantityParseEmit', () => {
  for (const [input, want] of EMIT) {
    assert.equal(canonicalQuantity(input), want, input);
    assert.equal(canonicalQuantity(`-${input}`), `-${want}`, `-${input}`);
  }
});

test('TestQuantityParse: invalid inputs', () => {
  for (const input of INVALID) assert.equal(canonicalQuantity(input), undefined, JSON.stringify(input));
});

test('the brief\'s and upstream\'s doc examples; parsed text kept as upstream keeps Quantity.s', () => {
  const cases: Array<[string, string]> = [
    ['0.5', '500m'], ['1.5', '1500m'], ['1000m', '1'], ['1024Mi', '1Gi'], ['2000000', '2M'], ['1e3', '1e3'], ['1000e0', '1e3'],
    ['1.5Gi', '1536Mi'], ['0.1Gi', '107374182400m'], ['0', '0'], ['0Mi', '0'], ['0.0', '0'], ['-0', '0'],
    // Rounded up to 1n; BinarySI capped at 2^63-1 and below 1024 written as DecimalSI.
    ['3.001n', '4n'], ['1.1E-9', '2e-9'], ['0.00000012345', '124n'], ['9Ei', '9223372036854775807'], ['512Ki', '512Ki'], ['0.5Ki', '512'],
    // Already canonical for the int64 parse: the input text itself.
    ['+1', '+1'], ['01', '01'], ['1.G', '1.G'], ['100.035k', '100.035k'], ['1E3', '1E3'],
    // DecimalSI past E: no suffix (suffix.go constructBytes finds none).
    ['1000E', '1'],
  ];
  for (const [input, want] of cases) assert.equal(canonicalQuantity(input), want, input);
});

test('ParseQuantity\'s errors: ErrFormatWrong, ErrSuffix, ErrNumeric', () => {
  const format = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
  for (const input of ['', 'aoeu', '1.1.M', '1+1.0M', '0.1am', '1Kib', ' 1', '1 ']) assert.equal(quantityParseError(input), format, JSON.stringify(input));
  for (const input of ['0.1mi', '.5i', '1i', '-3.01i', '-3.01e-', '1e', '1e+', '1Ki1']) assert.equal(quantityParseError(input), "unable to parse quantity's suffix", input);
  // Past 1n with no digit at all: the inf.Dec parse finds no number.
  assert.equal(quantityParseError('.e-10'), 'unable to parse numeric part of quantity');
  for (const input of ['0', '.', '+', '-', '1.', '1.G', '100m', '1e3', '0.5Gi']) assert.equal(quantityParseError(input), undefined, input);
});

test('canonical form as upstream Quantity.String()', () => {
  const cases: [string, string][] = [
    ['1000m', '1'], ['0.5', '500m'], ['1500m', '1500m'], ['1.5', '1500m'], ['1000', '1k'], ['100Mi', '100Mi'], ['1024Mi', '1Gi'],
    ['1.5Gi', '1536Mi'], ['0.5Ki', '512'], ['1Ki', '1Ki'], ['1e3', '1e3'], ['10e3', '10e3'], ['1e-3', '1e-3'], ['129e6', '129e6'],
    ['129M', '129M'], ['128974848', '128974848'], ['0.1', '100m'], ['1n', '1n'], ['0.0000000001', '1n'], ['0', '0'], ['0Gi', '0'],
    ['-1500m', '-1500m'], ['1E', '1E'], ['2000m', '2'], ['5Mi', '5Mi'], ['10Mi', '10Mi'],
  ];
  for (const [input, want] of cases) {
    assert.equal(canonicalQuantity(input), want, input);
    assert.equal(formatQty(mustParseQty(input)), want, input);
  }
});

test('malformed quantities do not parse', () => {
  for (const bad of ['', 'abc', '1e', '1.2.3', '1Kb', ' 1', '1K', '1e1001']) assert.equal(parseQty(bad), undefined, bad);
  assert.equal(parseQty(undefined), undefined);
  assert.equal(parseQty({}), undefined);
  assert.equal(formatQty(mustParseQty(0.25)), '250m');
});

test('comparison is exact across suffixes', () => {
  assert.equal(cmpQty(mustParseQty('1Gi'), mustParseQty('1073741824')), 0);
  assert.equal(cmpQty(mustParseQty('1G'), mustParseQty('1Gi')), -1);
  assert.equal(cmpQty(mustParseQty('0.1'), mustParseQty('100m')), 0);
  assert.equal(cmpQty(mustParseQty('1e3'), mustParseQty('1k')), 0);
});

test('sums keep the format of the first non-zero operand', () => {
  assert.equal(formatQty(addQty(mustParseQty('0'), mustParseQty('64Mi'))), '64Mi');
  assert.equal(formatQty(addQty(mustParseQty('64Mi'), mustParseQty('64Mi'))), '128Mi');
  assert.equal(formatQty(addQty(mustParseQty('500m'), mustParseQty('500m'))), '1');
  assert.equal(formatQty(addQty(mustParseQty('1'), mustParseQty('1Ki'))), '1025');
  assert.equal(formatQty(addQty(mustParseQty('0.5Ki'), mustParseQty('0.5Ki'))), '1Ki');
});

test('Value and MilliValue round up', () => {
  assert.equal(qtyValue(mustParseQty('1500m')), 2n);
  assert.equal(qtyMilliValue(mustParseQty('1n')), 1n);
  assert.equal(qtyMilliValue(mustParseQty('2')), 2000n);
});

// Each of these failed on at least one of the former parsers.
test('upstream accepts a bare sign, point or suffix as zero, and "1.G" (the validation parser refused them)', () => {
  for (const s of ['+', '-', '.', '+.', '-0.', 'Mi', 'k', 'e3']) {
    const q = parseQty(s);
    assert.ok(q, s);
    assert.equal(qtySign(q), 0, s);
  }
  assert.equal(cmpQty(mustParseQty('1.G'), mustParseQty('1G')), 0);
});

test('amounts finer than 1n round up to 1n before comparing (the validation parser compared exactly)', () => {
  assert.equal(cmpQty(mustParseQty('0.5n'), mustParseQty('1n')), 0);
  assert.equal(cmpQty(mustParseQty('1.0000000001'), mustParseQty('1000000001n')), 0);
  assert.equal(cmpQty(mustParseQty('-0.5n'), mustParseQty('-1n')), 0);
});

test('BinarySI amounts past 2^63-1 are capped (the validation parser kept them whole)', () => {
  assert.equal(cmpQty(mustParseQty('10Ei'), mustParseQty('9Ei')), 0);
  assert.equal(qtyValue(mustParseQty('16Ei')), (1n << 63n) - 1n);
  // Decimal amounts are not capped.
  assert.equal(qtyValue(mustParseQty('10E')), 10n ** 19n);
});

test('exponents: int32 wrap-around as upstream, any negative one rounds up to 1n (the validation and quota parsers refused both, quantity-canonical the second)', () => {
  // strconv.ParseInt then int32(): 2^32 is exponent 0.
  assert.equal(qtyValue(mustParseQty('1e4294967296')), 1n);
  assert.equal(mustParseQty('1e-2000').nanos, 1n);
  assert.equal(mustParseQty('-3e-20').nanos, -1n);
  assert.equal(mustParseQty('0e-5000').nanos, 0n);
  assert.equal(quantityParseError('1e-2000'), undefined);
});

test('Value() of a negative fraction: int64 amounts round away from zero, inf.Dec ones add one (the quota parser took the ceiling)', () => {
  assert.equal(qtyValue(mustParseQty('-1500m')), -2n);
  assert.equal(qtyValue(mustParseQty('-0.5')), -1n);
  assert.equal(qtyMilliValue(mustParseQty('-1n')), -1n);
  // 19 digits: past the int64 parse. Upstream's scaledValue: Go's truncated quotient (-1) plus one.
  assert.equal(qtyValue(mustParseQty('-1.000000000000000001')), 0n);
  assert.equal(qtyValue(mustParseQty('-1.5Ki')), -1536n);
});

test('String() of a parsed quantity is its own text when the int64 parse kept it (the quota parser canonicalized)', () => {
  for (const s of ['+1', '01', '1.G', '100.035k', '1E3', '+63Mi']) assert.equal(formatQty(mustParseQty(s)), s, s);
  // A sum has no kept text.
  assert.equal(formatQty(addQty(mustParseQty('+1'), mustParseQty('0'))), '1');
});

test('AsInt64: int64 amounts held at a scale of at least 0 only, as upstream (no factor reduction)', () => {
  assert.equal(qtyAsInt64(mustParseQty('1Ki')), 1024n);
  assert.equal(qtyAsInt64(mustParseQty('1536')), 1536n);
  assert.equal(qtyAsInt64(mustParseQty('2k')), 2000n);
  assert.equal(qtyAsInt64(mustParseQty('0')), 0n);
  assert.equal(qtyAsInt64(mustParseQty('1500m')), undefined);
  // Whole, but held at scale -3 / -1: int64Amount.AsInt64 answers false.
  assert.equal(qtyAsInt64(mustParseQty('1000m')), undefined);
  assert.equal(qtyAsInt64(mustParseQty('1.0')), undefined);
  // "1.5Ki" is past the int64 parse (a fraction with a binary suffix): an inf.Dec, so false though whole.
  assert.equal(qtyAsInt64(mustParseQty('1.5Ki')), undefined);
  // Sums are int64Amount.Add at the smaller scale: 2k - 1000 is 1000 at scale 0; 1 + 0 keeps 1's.
  assert.equal(qtyAsInt64(subQty(mustParseQty('2k'), qtyFromInt(1000))), 1000n);
  assert.equal(qtyAsInt64(addQty(mustParseQty('1'), mustParseQty('0'))), 1n);
  assert.equal(qtyAsInt64(addQty(mustParseQty('1'), mustParseQty('0.5'))), undefined);
  // An int64 overflow in the sum makes an inf.Dec: no AsInt64 even back in range.
  const big = addQty(mustParseQty('9223372036854775807'), mustParseQty('1'));
  assert.equal(big.dec, true);
  assert.equal(qtyAsInt64(subQty(big, mustParseQty('1'))), undefined);
  assert.equal(qtyAsInt64(qtyFromMilli(2000)), undefined);
});

test('AsApproximateFloat64: the held value times Go\'s Pow10 of its scale', () => {
  // 11 * 0.1 in float64.
  assert.equal(qtyApproximateFloat(mustParseQty('1.1')), 1.1000000000000001);
  assert.equal(qtyApproximateFloat(mustParseQty('1.5')), 1.5);
  assert.equal(qtyApproximateFloat(mustParseQty('1Ki')), 1024);
  assert.equal(qtyApproximateFloat(mustParseQty('3e40')), 3e40);
  assert.equal(qtyApproximateFloat(mustParseQty('-100m')), -0.1);
  // An inf.Dec at scale 1n: its unscaled value times 1e-9.
  assert.equal(qtyApproximateFloat(mustParseQty('1.5Ki')), 1536000000000 * (1 / 1e9));
  assert.equal(qtyApproximateFloat(mustParseQty('0e-5000')), 0);
});

test('a megabyte of digits parses with BigInt over at most ~1,100 of them, to upstream answer', () => {
  // V8's BigInt(string) is superlinear (~150 ms for 1e6 digits): count what reaches it, not time.
  const real = globalThis.BigInt;
  let longest = 0;
  const counting = new Proxy(real, {
    apply(target, self, args: unknown[]) {
      if (typeof args[0] === 'string') longest = Math.max(longest, args[0].length);
      return Reflect.apply(target, self, args);
    },
  });
  const M = 1_000_000;
  const cases: [string, string | undefined][] = [
    ['0.' + '0'.repeat(M) + '1', '1n'], // rounded up to 1n
    ['1.' + '3'.repeat(M), '1333333334n'],
    ['0.' + '9'.repeat(M) + 'Ki', '1Ki'],
    ['1'.repeat(M) + 'Ki', '9223372036854775807'], // maxAllowed, upstream's cap
    ['-' + '7'.repeat(M) + 'Mi', '-9223372036854775807'],
    ['1'.repeat(M) + 'e-' + String(M), '111111112e-9'],
    ['0'.repeat(M) + '12.5', '12500m'],
    ['1' + '0'.repeat(M), undefined], // beyond our 10^1001 bound, as an exponent over 1000
    ['10e1000', undefined],
  ];
  globalThis.BigInt = counting;
  try {
    for (const [text, want] of cases) {
      const q = parseQty(text);
      assert.equal(q && formatQty(q), want, text.slice(0, 20));
    }
  } finally {
    globalThis.BigInt = real;
  }
  assert.ok(longest <= 1100, `BigInt parsed a ${longest}-digit string`);
  assert.equal(parseQty('9' + '0'.repeat(1000))?.nanos, 9n * 10n ** 1009n); // under the bound
});
