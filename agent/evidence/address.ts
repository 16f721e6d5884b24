/** One text form per address, so a DNS answer's rdata and a flow's dest_ip compare equal. */
import { parseIp } from '../config/cidr.js';
import { formatIp } from '../output/net-format.js';

/** Canonical text (dotted quad, RFC 5952) of an IPv4/IPv6 address; null if `text` is not one. */
export function canonicalAddress(text: string): string | null {
  const b = parseIp(text.trim());
  return b ? formatIp(b) : null;
}
