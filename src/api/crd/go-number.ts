/**
 * Numbers printed the way Go's %v prints them, because upstream's OpenAPI messages embed limits
 * with %v: int64 limits as plain integers, float64 limits in strconv 'g' shortest form (1e+06).
 */
export function goInt(n: number): string {
  return BigInt(Math.trunc(n)).toString();
}

export function goFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const [mant = '', e = '0'] = n.toExponential().split('e'); // shortest round-trip digits
  const exp = Number(e);
  // %v uses %g with shortest precision, which switches to exponent form when exp < -4 || exp >= 6.
  if (exp < -4 || exp >= 6) {
    const abs = Math.abs(exp);
    return `${mant}e${exp < 0 ? '-' : '+'}${abs < 10 ? '0' + abs : abs}`;
  }
  return n.toFixed(Math.max(0, mant.replace(/^-?\d\.?/, '').length - exp));
}
