/** One text form per address, so a DNS answer's rdata and a flow's dest_ip compare equal. */
import { parseIp } from '../config/cidr.js';
import { formatIp } from '../output/net-format.js';

/** Canonical text (dotted quad, RFC 5952) of an IPv4/IPv6 address; null if `text` is not one. */
/** A dotted quad without leading zeros is already canonical (most DNS answers). */
const CANONICAL_V4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function canonicalAddress(text: string): string | null {
  if (CANONICAL_V4.test(text)) return text;
  const b = parseIp(text.trim());
  return b ? formatIp(b) : null;
}
