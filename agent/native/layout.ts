/**
 * TypeScript mirror of `native/core/src/batch.rs`: the byte layouts that cross the N-API
 * boundary. Keep in lockstep; `LAYOUT_VERSION` is checked against the addon at load time.
 */
import { formatCommunityId, type CommunityIdFormat } from '../output/eve.js';
import { formatIp, formatTs, protoName } from '../output/net-format.js';
import type { EvidenceEvent, EvidenceKind } from '../evidence/types.js';
import type { WindowAggregate } from '../verdict/types.js';

export const LAYOUT_VERSION = 5;
export const INDEX_ENTRY_SIZE = 24;
export const RECORD_HEADER_SIZE = 8;
export const KIND_FLOW = 1;
export const KIND_WINDOW = 2;
export const KIND_EVIDENCE = 3;
/** An evidence record is this many bytes plus its JSON body (at most 32 KiB). */
export const EVIDENCE_RECORD_MIN = RECORD_HEADER_SIZE + 88;
export const FLOW_RECORD_SIZE = RECORD_HEADER_SIZE + 160;
/** A window record is this many bytes plus 20 per listed Community ID (at most 64). */
export const WINDOW_RECORD_MIN = RECORD_HEADER_SIZE + 168;
export const WINDOW_MAX_COMMUNITY_IDS = 64;
export const WINDOW_RECORD_MAX = WINDOW_RECORD_MIN + 20 * WINDOW_MAX_COMMUNITY_IDS;
export const WINDOW_FLAG_LOWER_BOUND = 1;
export const WINDOW_FLAG_UNIQUE_INEXACT = 2;

/**
 * Application protocol names by the engine's u8 code (`native/core/src/app/detect.rs` NAMES, in
 * lockstep); 0 is "not known yet" (null), 1 is Suricata's `failed` (detection gave up).
 */
export const APP_PROTOS: readonly (string | null)[] = [
  null,
  'failed',
  'http',
  'tls',
  'dns',
  'ssh',
  'smb',
  'ftp',
  'smtp',
  'quic',
  'nfs',
  'pgsql',
  'dnp3',
  'ftp-data',
  'pop3',
  'imap',
  'telnet',
  'dhcp',
  'ntp',
  'snmp',
  'sip',
  'rfb',
  'mqtt',
  'dcerpc',
  'ike',
  'bittorrent-dht',
  'enip',
  'http2',
  'rdp',
  'ldap',
];

/** Evidence event types by the record's event byte (`app/evidence.rs` EVENT_NAMES). */
export const EVIDENCE_KINDS: readonly (EvidenceKind | null)[] = [null, 'tls', 'http', 'dns', 'ssh', 'quic', 'fileinfo', 'smb', 'ftp', 'smtp'];

export function appProtoName(code: number): string | null {
  if (code === 0) return null;
  return APP_PROTOS[code] ?? `app_proto_${code}`;
}

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
  /** Suricata's app_proto spelling, or null when none was detected. */
  appProto: string | null;
}

/**
 * Decode every record in `buf[0..length)`, in stream order: flow records to `onFlow`, window
 * records to `onWindow`, evidence records to `onEvidence` (each skipped without its callback).
 * Unknown kinds are skipped by their length. Community IDs of windows and evidence are
 * formatted as `cid` says (base64 by default, like EVE flows).
 */
export function decodeRecords(
  buf: ArrayBuffer,
  length: number,
  onFlow: (r: FlowRecord) => void,
  onWindow?: (w: WindowAggregate) => void,
  cid: CommunityIdFormat = { base64: true },
  onEvidence?: (e: EvidenceEvent) => void,
): void {
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
    else if (kind === KIND_WINDOW && onWindow) onWindow(decodeWindow(view, bytes, at, total, cid));
    else if (kind === KIND_EVIDENCE && onEvidence) onEvidence(decodeEvidence(view, bytes, at, total, cid));
    at += total;
  }
}

/** Evidence record flags (byte 42 of the body), as `batch.rs`. */
export const EVIDENCE_FLAG_PARTIAL = 1;

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** One evidence record (`at` = its header) as the evidence contract's `EvidenceEvent`. */
function decodeEvidence(v: DataView, b: Uint8Array, at: number, total: number, cid: CommunityIdFormat): EvidenceEvent {
  const o = at + RECORD_HEADER_SIZE;
  const n = v.getUint16(o + 40, true);
  if (total !== EVIDENCE_RECORD_MIN + n) {
    throw new Error(`corrupt evidence record at ${at}: length ${total} for a ${n}-byte body`);
  }
  const alen = v.getUint8(o + 32) === 6 ? 16 : 4;
  const kindCode = v.getUint8(o + 34);
  const kind = EVIDENCE_KINDS[kindCode];
  if (!kind) throw new Error(`corrupt evidence record at ${at}: unknown event type ${kindCode}`);
  const text = utf8.decode(b.subarray(o + 88, o + 88 + n));
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`corrupt evidence record at ${at}: body is not JSON (${(e as Error).message})`);
  }
  const ev: EvidenceEvent = {
    event_type: kind,
    ts_ns: v.getBigUint64(o + 48, true),
    flow_id: v.getBigUint64(o + 56, true),
    community_id: formatCommunityId(b.subarray(o + 64, o + 84), cid),
    src_ip: formatIp(b.subarray(o, o + alen)),
    src_port: v.getUint16(o + 36, true),
    dest_ip: formatIp(b.subarray(o + 16, o + 16 + alen)),
    dest_port: v.getUint16(o + 38, true),
    proto: protoName(v.getUint8(o + 33)),
    app_proto: appProtoName(v.getUint8(o + 35)),
    body,
  };
  // Flag bit 0 (batch.rs EVIDENCE_FLAG_PARTIAL): an early copy, session evidence only.
  if ((v.getUint8(o + 42) & EVIDENCE_FLAG_PARTIAL) !== 0) ev.partial = true;
  return ev;
}

/** One window record (`at` = its header) as the verdict contract's `WindowAggregate`. */
function decodeWindow(v: DataView, b: Uint8Array, at: number, total: number, cid: CommunityIdFormat): WindowAggregate {
  const o = at + RECORD_HEADER_SIZE;
  const n = v.getUint16(o + 42, true);
  if (total !== WINDOW_RECORD_MIN + 20 * n) {
    throw new Error(`corrupt window record at ${at}: length ${total} for ${n} community ids`);
  }
  const alen = v.getUint8(o + 32) === 6 ? 16 : 4;
  const u64 = (off: number): number => Number(v.getBigUint64(o + off, true));
  const proto = protoName(v.getUint8(o + 33));
  const appProto = appProtoName(v.getUint8(o + 34));
  const flags = v.getUint8(o + 35);
  const srcIp = formatIp(b.subarray(o, o + alen));
  const destIp = formatIp(b.subarray(o + 16, o + 16 + alen));
  const destPort = v.getUint16(o + 36, true);
  const startNs = v.getBigUint64(o + 48, true);
  const endNs = v.getBigUint64(o + 56, true);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = o + 168 + 20 * i;
    ids.push(formatCommunityId(b.subarray(c, c + 20), cid));
  }
  return {
    src_ip: srcIp,
    dest_ip: destIp,
    dest_port: destPort,
    proto,
    app_proto: appProto,
    window_start: formatTs(startNs),
    window_end: formatTs(endNs),
    window_start_ns: startNs,
    window_end_ns: endNs,
    flow_count: u64(64),
    unique_flows: u64(72),
    total_upload_bytes: u64(80),
    total_download_bytes: u64(88),
    upload_packets: u64(96),
    download_packets: u64(104),
    largest_flow: {
      src_ip: srcIp,
      src_port: v.getUint16(o + 38, true),
      dest_ip: destIp,
      dest_port: v.getUint16(o + 40, true),
      proto,
      app_proto: appProto,
      community_id: formatCommunityId(b.subarray(o + 128, o + 148), cid),
      upload_bytes: u64(112),
    },
    community_ids: ids,
    community_ids_total: u64(152),
    lower_bound: (flags & WINDOW_FLAG_LOWER_BOUND) !== 0,
  };
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
    appProto: appProtoName(v.getUint8(o + 46)),
  };
}
