import { isIP } from 'node:net';
import { PkiError } from './errors.ts';

/**
 * The network-order bytes of an IP address, as a SAN iPAddress entry needs them. We do not use
 * node-forge's parser because it accepts malformed input ("1.2.3.999") and mishandles some IPv6
 * shorthand; node:net decides validity and this only expands the address.
 */
export function ipToBytes(ip: string): Buffer {
  const family = isIP(ip);
  if (family === 4) return Buffer.from(ip.split('.').map((part) => Number(part)));
  // Zone ids (fe80::1%eth0) name a local interface and have no place in a certificate.
  if (family !== 6 || ip.includes('%')) throw new PkiError('InvalidOptions', `not an IP address: ${JSON.stringify(ip)}`);

  let text = ip;
  // An embedded IPv4 tail (::ffff:10.0.0.1) stands for the last two 16-bit groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = ipToBytes(tail);
    text = `${text.slice(0, lastColon + 1)}${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
  }
  const [head = '', rest] = text.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = rest === undefined ? 0 : 8 - headGroups.length - restGroups.length;
  const groups = [...headGroups, ...Array<string>(zeros).fill('0'), ...restGroups];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}
