/**
 * Contract between the native engine's evidence records and the main thread (SPEC section 5).
 * The core emits one evidence record per app-layer transaction or fact it parsed (a TLS hello
 * pair, an HTTP request/response, a DNS message, SSH banners, a QUIC Initial, an upload's file
 * type); `agent/native/layout.ts` decodes it into an `EvidenceEvent`. The EVE writer prints it as
 * `{timestamp, flow_id, event_type, src_ip, src_port, dest_ip, dest_port, proto, community_id,
 * app_proto, [event_type]: body}`, so `body` uses the field names Suricata 8 prints under that key
 * (`tls.sni`, `http.http_user_agent`, `dns.queries[].rrname`, ...).
 */

export type EvidenceKind = 'tls' | 'http' | 'dns' | 'ssh' | 'quic' | 'fileinfo' | 'smb' | 'ftp' | 'smtp';

export interface EvidenceEvent {
  event_type: EvidenceKind;
  /** Packet time of the packet that completed the evidence. */
  ts_ns: bigint;
  /** The flow record's flow_id (same engine, same flow). */
  flow_id: bigint;
  community_id: string;
  /** Endpoints as Suricata prints them for this event type (see `docs/eve-evidence.md`). */
  src_ip: string;
  src_port: number;
  dest_ip: string;
  dest_port: number;
  proto: string;
  /** The flow's app_proto when the record was written (Suricata spelling), or null. */
  app_proto: string | null;
  /** The object printed under the `event_type` key, Suricata 8 field names. */
  body: Record<string, unknown>;
  /**
   * An early copy of a transaction still in progress (HTTP request headers before the
   * response, a TLS ClientHello before the ServerHello): for session evidence, so an alert
   * raised before the transaction ends still names its host. Never written as an EVE event;
   * the complete record follows (or, at flow end, the request/hello alone as before).
   */
  partial?: true;
}
