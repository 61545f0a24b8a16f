/**
 * apimachinery pkg/api/resource quantity_test.go's tables (TestParseQuantity's canonical strings,
 * TestQuantityString's canonical and alternate texts, TestQuantityParseEmit, TestQuantityParse's
 * invalid inputs), against canonicalQuantity.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalQuantity, quantityParseError } from './quantity-canonical.ts';

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
