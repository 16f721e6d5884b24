/**
 * TypeScript mirror of `native/core/src/batch.rs`: the byte layouts that cross the N-API
 * boundary. Keep in lockstep; `LAYOUT_VERSION` is checked against the addon at load time.
 */
export const LAYOUT_VERSION = 2;
export const INDEX_ENTRY_SIZE = 24;
export const RECORD_HEADER_SIZE = 8;
export const KIND_FLOW = 1;
export const FLOW_RECORD_SIZE = RECORD_HEADER_SIZE + 160;

export const FLOW_STATES = ['new', 'established', 'closed'] as const;
export const END_REASONS = ['timeout', 'tcp_fin', 'tcp_rst', 'memcap', 'shutdown'] as const;

export type FlowState = (typeof FLOW_STATES)[number];
export type EndReason = (typeof END_REASONS)[number];

/** One flow record as decoded from the engine's output (client = src, server = dest). */
export interface FlowRecord {
  ipVersion: 4 | 6;
  proto: number;
  /** Raw address bytes (4 or 16). */
  src: Uint8Array;
  dst: Uint8Array;
  srcPort: number;
  dstPort: number;
  vlan: number[];
  pktsToServer: number;
  pktsToClient: number;
  bytesToServer: number;
  bytesToClient: number;
  ipBytesToServer: number;
  ipBytesToClient: number;
  /** Original (wire) length sums: differ from bytes* only for snaplen-truncated packets. */
  wireBytesToServer: number;
  wireBytesToClient: number;
  startNs: bigint;
  endNs: bigint;
  state: FlowState;
  reason: EndReason;
  tcpFlagsToServer: number;
  tcpFlagsToClient: number;
  flowId: number;
  /** Raw Community ID SHA-1 digest (20 bytes). */
  communityIdDigest: Uint8Array;
}

/** Decode every record in `buf[0..length)`. Unknown kinds are skipped by their length. */
export function decodeRecords(buf: ArrayBuffer, length: number, onFlow: (r: FlowRecord) => void): void {
  const view = new DataView(buf, 0, length);
  const bytes = new Uint8Array(buf, 0, length);
  let at = 0;
  while (at + RECORD_HEADER_SIZE <= length) {
    const kind = view.getUint16(at, true);
    const total = view.getUint16(at + 2, true);
    if (total < RECORD_HEADER_SIZE || at + total > length) {
      throw new Error(`corrupt record stream at ${at}: kind ${kind}, length ${total}`);
    }
    if (kind === KIND_FLOW) onFlow(decodeFlow(view, bytes, at + RECORD_HEADER_SIZE));
    at += total;
  }
}

function decodeFlow(v: DataView, b: Uint8Array, o: number): FlowRecord {
  const ipVersion = v.getUint8(o + 32) === 6 ? 6 : 4;
  const alen = ipVersion === 6 ? 16 : 4;
  const u64 = (off: number): number => Number(v.getBigUint64(o + off, true));
  const vlan: number[] = [];
  const v0 = v.getUint16(o + 40, true);
  const v1 = v.getUint16(o + 42, true);
  if (v0) vlan.push(v0);
  if (v1) vlan.push(v1);
  return {
    ipVersion,
    proto: v.getUint8(o + 33),
    src: b.slice(o, o + alen),
    dst: b.slice(o + 16, o + 16 + alen),
    state: FLOW_STATES[v.getUint8(o + 34)] ?? 'new',
    reason: END_REASONS[v.getUint8(o + 35)] ?? 'timeout',
    srcPort: v.getUint16(o + 36, true),
    dstPort: v.getUint16(o + 38, true),
    vlan,
    tcpFlagsToServer: v.getUint8(o + 44),
    tcpFlagsToClient: v.getUint8(o + 45),
    pktsToServer: u64(48),
    pktsToClient: u64(56),
    bytesToServer: u64(64),
    bytesToClient: u64(72),
    ipBytesToServer: u64(80),
    ipBytesToClient: u64(88),
    startNs: v.getBigUint64(o + 96, true),
    endNs: v.getBigUint64(o + 104, true),
    flowId: u64(112),
    communityIdDigest: b.slice(o + 120, o + 140),
    wireBytesToServer: u64(140),
    wireBytesToClient: u64(148),
  };
}
