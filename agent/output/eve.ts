/**
 * EVE-style JSON events (Suricata's field names) and a buffered line writer with backpressure.
 */
import { createWriteStream, openSync, type WriteStream } from 'node:fs';
import { ErrorCodes, SensorError } from '../errors.js';
import type { Writable } from 'node:stream';
import type { EvidenceEvent } from '../evidence/types.js';
import type { FlowRecord } from '../native/layout.js';
import { formatIp, formatTs, protoName } from './net-format.js';

export interface CommunityIdFormat {
  base64: boolean;
}

export function formatCommunityId(digest: Uint8Array, fmt: CommunityIdFormat): string {
  const b = Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength);
  return `1:${fmt.base64 ? b.toString('base64') : b.toString('hex')}`;
}

const TCP_FLAG_NAMES: [number, string][] = [
  [0x01, 'fin'],
  [0x02, 'syn'],
  [0x04, 'rst'],
  [0x08, 'psh'],
  [0x10, 'ack'],
  [0x20, 'urg'],
  [0x40, 'ece'],
  [0x80, 'cwr'],
];

function tcpSection(r: FlowRecord): Record<string, unknown> {
  const all = r.tcpFlagsToServer | r.tcpFlagsToClient;
  const hex = (f: number): string => f.toString(16).padStart(2, '0');
  const out: Record<string, unknown> = {
    tcp_flags: hex(all),
    tcp_flags_ts: hex(r.tcpFlagsToServer),
    tcp_flags_tc: hex(r.tcpFlagsToClient),
  };
  for (const [bit, name] of TCP_FLAG_NAMES) if (all & bit) out[name] = true;
  return out;
}

/** An EVE `flow` event for one finished flow. */
export function flowEvent(r: FlowRecord, cid: CommunityIdFormat): Record<string, unknown> {
  const icmp = r.proto === 1 || r.proto === 58;
  const esp = r.proto === 50;
  // Suricata prints ports only for protocols that have them.
  const ports = r.proto === 6 || r.proto === 17 || r.proto === 132;
  const ev: Record<string, unknown> = {
    timestamp: formatTs(r.endNs),
    flow_id: r.flowId,
    event_type: 'flow',
    src_ip: formatIp(r.src),
    ...(ports ? { src_port: r.srcPort } : {}),
    dest_ip: formatIp(r.dst),
    ...(ports ? { dest_port: r.dstPort } : {}),
    proto: protoName(r.proto),
    ...(icmp ? { icmp_type: r.srcPort, icmp_code: r.dstPort } : {}),
    ...(esp ? { spi: r.srcPort * 65536 + r.dstPort } : {}),
    ...(r.vlan.length ? { vlan: r.vlan } : {}),
    app_proto: r.appProto,
    community_id: formatCommunityId(r.communityIdDigest, cid),
    flow: {
      pkts_toserver: r.pktsToServer,
      pkts_toclient: r.pktsToClient,
      bytes_toserver: r.bytesToServer,
      bytes_toclient: r.bytesToClient,
      ip_bytes_toserver: r.ipBytesToServer,
      ip_bytes_toclient: r.ipBytesToClient,
      start: formatTs(r.startNs),
      end: formatTs(r.endNs),
      age: Number((r.endNs - r.startNs) / 1_000_000_000n),
      state: r.state,
      reason: r.reason,
    },
  };
  if (r.proto === 6) ev.tcp = tcpSection(r);
  return ev;
}

/**
 * An EVE event for one piece of app-layer evidence (tls, http, dns, ssh, quic, fileinfo, ...):
 * the header as flow events print it, the body under the event type's key.
 */
export function evidenceEvent(e: EvidenceEvent): Record<string, unknown> {
  const ports = e.proto === 'TCP' || e.proto === 'UDP' || e.proto === 'SCTP';
  return {
    timestamp: formatTs(e.ts_ns),
    flow_id: Number(e.flow_id),
    event_type: e.event_type,
    src_ip: e.src_ip,
    ...(ports ? { src_port: e.src_port } : {}),
    dest_ip: e.dest_ip,
    ...(ports ? { dest_port: e.dest_port } : {}),
    proto: e.proto,
    community_id: e.community_id,
    app_proto: e.app_proto,
    [e.event_type]: e.body,
  };
}

/** bigint values (ns times) become exact decimal strings. */
function bigintAsString(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/**
 * JSON lines to a file or stdout, buffered into large writes; `write` resolves once the stream
 * has room again, so a slow consumer holds the producer back instead of growing the heap.
 */
export class LineWriter {
  #stream: Writable;
  #owned: boolean;
  #buf: string[] = [];
  #bufLen = 0;

  constructor(target: string) {
    if (target === '-') {
      this.#stream = process.stdout;
      this.#owned = false;
    } else {
      // Open synchronously so a bad path is an error here, with the path, not an unhandled
      // 'error' event later.
      let fd: number;
      try {
        fd = openSync(target, 'w');
      } catch (e) {
        throw new SensorError(ErrorCodes.OUTPUT, `cannot write ${target}: ${(e as Error).message}`, { cause: e });
      }
      this.#stream = createWriteStream(target, { fd }) as WriteStream;
      this.#stream.on('error', (e) => {
        this.#error ??= new SensorError(ErrorCodes.OUTPUT, `cannot write ${target}: ${e.message}`, { cause: e });
      });
      this.#owned = true;
    }
  }

  #error: SensorError | null = null;

  /** Queue one event; returns a promise only when the caller should wait (backpressure). */
  write(event: unknown): Promise<void> | undefined {
    if (this.#error) throw this.#error;
    const line = JSON.stringify(event, bigintAsString);
    this.#buf.push(line);
    this.#bufLen += line.length + 1;
    if (this.#bufLen >= 1 << 20) return this.flush();
    return undefined;
  }

  flush(): Promise<void> | undefined {
    if (this.#buf.length === 0) return undefined;
    const text = this.#buf.join('\n') + '\n';
    this.#buf = [];
    this.#bufLen = 0;
    if (this.#stream.write(text)) return undefined;
    // Each wait removes the listener it did not need, so long runs do not pile up 'error'
    // listeners (one per full 1 MiB buffer) on the stream.
    return new Promise((resolve, reject) => {
      const onDrain = (): void => {
        this.#stream.off('error', onError);
        resolve();
      };
      const onError = (e: Error): void => {
        this.#stream.off('drain', onDrain);
        reject(e);
      };
      this.#stream.once('drain', onDrain);
      this.#stream.once('error', onError);
    });
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.#error) throw this.#error;
    if (!this.#owned) return;
    await new Promise<void>((resolve, reject) => {
      this.#stream.once('error', reject);
      this.#stream.end(() => resolve());
    });
  }
}
