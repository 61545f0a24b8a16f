/**
 * String formats a CRD schema may use (apiextensions' supported list) and their checks, after
 * go-openapi/strfmt. Formats outside the list are dropped before validation upstream, so an
 * unknown format never rejects anything.
 */
import type { JSONSchemaProps } from './json-schema-props.ts';
import { isIP } from 'node:net';
import { isValidCIDR } from '../validation/names.ts';

const ci = (re: string): RegExp => new RegExp(re, 'i');

const UUID = ci('^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$');
const UUID3 = ci('^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$');
const UUID4 = ci('^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$');
const UUID5 = ci('^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$');
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?$/;
const HOSTNAME =
  /^[a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)?(\.[a-zA-Z0-9\p{S}\p{L}]((-?[a-zA-Z0-9\p{S}\p{L}]{0,62})?)?)*\.?$/u;
const MAC = /^(?:[0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$|^(?:[0-9a-fA-F]{2}[:-]){7}[0-9a-fA-F]{2}$|^(?:[0-9a-fA-F]{4}\.){2}[0-9a-fA-F]{4}$/;
const HEXCOLOR = /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;
const RGBCOLOR = /^rgb\(\s*(?:0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(?:0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(?:0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*\)$/;
const SSN = /^\d{3}[- ]?\d{2}[- ]?\d{4}$/;
const BSON = /^[0-9a-fA-F]{24}$/;
const DURATION = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)\s*(?:ns|us|µs|ms|s|m|h|d|w|nanos?|nanoseconds?|micros?|microseconds?|millis?|milliseconds?|seconds?|sec|minutes?|min|hours?|days?|weeks?)(?:\s*(?:\d+(?:\.\d*)?|\.\d+)\s*(?:ns|us|µs|ms|s|m|h|d|w))*$/;
const QUANTITY = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/;
const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/;
const K8S_SHORT = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const K8S_LONG = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function validDate(y: string, m: string, d: string): boolean {
  const year = Number(y), month = Number(m), day = Number(d);
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function isDateTime(s: string): boolean {
  const m = DATE_TIME.exec(s);
  if (!m) return false;
  const [, y = '', mo = '', d = '', h = '', mi = '', sec = '0'] = m;
  return validDate(y, mo, d) && Number(h) < 24 && Number(mi) < 60 && Number(sec) < 60;
}

function isUri(s: string): boolean {
  // Go's url.ParseRequestURI: absolute URI or an absolute path.
  if (s.startsWith('/')) return !/\s/.test(s);
  try {
    new URL(s);
    return true;
  } catch {
    return false;
  }
}

function isbn10(s: string): boolean {
  const d = s.replace(/[\s-]/g, '');
  if (!/^\d{9}[\dX]$/.test(d)) return false;
  let sum = 0;
  for (let i = 0; i < 10; i++) sum += (d[i] === 'X' ? 10 : Number(d[i])) * (10 - i);
  return sum % 11 === 0;
}

function isbn13(s: string): boolean {
  const d = s.replace(/[\s-]/g, '');
  if (!/^\d{13}$/.test(d)) return false;
  let sum = 0;
  for (let i = 0; i < 13; i++) sum += Number(d[i]) * (i % 2 === 0 ? 1 : 3);
  return sum % 10 === 0;
}

function creditCard(s: string): boolean {
  const d = s.replace(/\D/g, '');
  return /^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\d{3})\d{11})$/.test(d);
}

/** Checks keyed by the normalized format name (go-openapi drops dashes: date-time → datetime). */
const CHECKS: Record<string, (s: string) => boolean> = {
  bsonobjectid: (s) => BSON.test(s),
  uri: isUri,
  email: (s) => EMAIL.test(s),
  hostname: (s) => s.length <= 255 && HOSTNAME.test(s),
  // node:net's check, as before names.ts isValidIP became ParseIPSloppy's (not verified against kube-openapi's strfmt).
  ipv4: (s) => isIP(s) !== 0 && !s.includes(':'),
  ipv6: (s) => isIP(s) !== 0 && s.includes(':'),
  cidr: (s) => isValidCIDR(s).length === 0,
  mac: (s) => MAC.test(s),
  uuid: (s) => UUID.test(s),
  uuid3: (s) => UUID3.test(s),
  uuid4: (s) => UUID4.test(s),
  uuid5: (s) => UUID5.test(s),
  isbn: (s) => isbn10(s) || isbn13(s),
  isbn10,
  isbn13,
  creditcard: creditCard,
  ssn: (s) => SSN.test(s),
  hexcolor: (s) => HEXCOLOR.test(s),
  rgbcolor: (s) => RGBCOLOR.test(s),
  byte: (s) => BASE64.test(s.replace(/[\r\n]/g, '')),
  password: () => true,
  date: (s) => {
    const m = DATE.exec(s);
    return m !== null && validDate(m[1] ?? '', m[2] ?? '', m[3] ?? '');
  },
  duration: (s) => DURATION.test(s.trim()),
  datetime: isDateTime,
  quantity: (s) => QUANTITY.test(s),
  k8sshortname: (s) => s.length <= 63 && K8S_SHORT.test(s),
  k8slongname: (s) => s.length <= 253 && K8S_LONG.test(s),
};

const normalize = (f: string): string => f.replaceAll('-', '');

/**
 * The format that survives apiextensions' StripUnsupportedFormats: string formats from the list,
 * int32/int64 on integers, float/double on numbers, nothing on other types.
 */
export function effectiveFormat(s: JSONSchemaProps): string {
  const f = s.format ?? '';
  if (f === '') return '';
  const t = s['x-kubernetes-int-or-string'] ? 'int-or-string' : (s.type ?? '');
  switch (t) {
    case '':
    case 'string':
      return Object.hasOwn(CHECKS, normalize(f)) ? f : '';
    case 'integer':
      return f === 'int32' || f === 'int64' ? f : '';
    case 'number':
      return f === 'float' || f === 'double' ? f : '';
    default:
      return '';
  }
}

/** True when `format` names a string format with a check (numeric formats are not string checks). */
export function isStringFormat(format: string): boolean {
  return Object.hasOwn(CHECKS, normalize(format));
}

export function matchesFormat(format: string, value: string): boolean {
  const check = CHECKS[normalize(format)];
  return check === undefined || check(value);
}
