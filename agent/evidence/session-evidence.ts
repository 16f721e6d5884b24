/**
 * The sensor's session evidence on the main thread: one object `runReplay` feeds with the
 * engine's evidence events and flow records, and asks for names and evidence when it writes a
 * flow event, when the verdict scores a group, and when an alert is emitted.
 *
 * - EVE flow events get `dest_name`: the passive-DNS name of the server (dest_ip) live at the
 *   flow's start, most recently answered first (absent when the sensor saw no answer for it).
 * - The verdict gets `names(ip)` (passive DNS, for IOC lookups and the destination entity) and
 *   `evidence(aggregate)` (first SNI, JA4, JA3, user agent of the group's flows).
 * - Alerts get `evidence` (see `ExfilAlert.evidence`) and the SNI/DNS mismatch rule and note.
 */
import type { SensorConfig } from '../config/load.js';
import { logger } from '../obs/logger.js';
import type { ExfilAlert, WindowAggregate } from '../verdict/types.js';
import type { GroupEvidence } from '../verdict/verdict.js';
import { attachEvidence, FlowEvidence } from './flow-evidence.js';
import { PassiveDns } from './passive-dns.js';
import type { EvidenceEvent } from './types.js';

const NS = 1_000_000_000n;

export interface SessionEvidenceStats {
  passive_dns: PassiveDns['stats'];
  flows: FlowEvidence['stats'];
  flows_labelled: number;
  alerts_with_evidence: number;
  sni_dns_mismatches: number;
}

export class SessionEvidence {
  readonly pdns: PassiveDns;
  readonly flows: FlowEvidence;
  private nowNs = 0n;
  private lastExpireNs = 0n;
  private readonly keepNamesNs: bigint;
  private labelled = 0;
  private alerts = 0;
  private mismatches = 0;

  constructor(cfg: Pick<SensorConfig, 'evidence' | 'window'>) {
    const log = logger('evidence');
    const pd = cfg.evidence?.passive_dns;
    this.pdns = new PassiveDns(
      { max_entries: pd?.max_entries, ttl_floor_seconds: pd?.ttl_floor_seconds, ttl_ceiling_seconds: pd?.ttl_ceiling_seconds },
      log,
    );
    this.flows = new FlowEvidence(
      { max_flows: cfg.evidence?.max_flows, window_length_seconds: cfg.window.length_seconds, window_grace_seconds: cfg.window.grace_seconds },
      log,
    );
    // Expired names stay readable as long as a window (or a flow that started then) may ask.
    this.keepNamesNs = BigInt(cfg.window.length_seconds + cfg.window.grace_seconds + 1) * NS;
  }

  private advance(ts: bigint): void {
    if (ts > this.nowNs) this.nowNs = ts;
    if (this.nowNs - this.lastExpireNs >= 10n * NS) {
      this.lastExpireNs = this.nowNs;
      this.pdns.expire(this.nowNs - this.keepNamesNs);
    }
  }

  /** An evidence event from the engine (in stream order). */
  onEvidence(e: EvidenceEvent): void {
    this.advance(e.ts_ns);
    this.pdns.onEvent(e);
    this.flows.onEvent(e);
  }

  /** Packet time reported by the replay without an event (collector syncs), before its windows are judged. */
  sync(nowNs: bigint): void {
    this.advance(nowNs);
  }

  /**
   * The windows closed at synced time `nowNs` were judged (and their alerts got their evidence):
   * drop the flow summaries no open window can reference. Only this sweeps the flow summaries,
   * so which summaries a window sees depends on the synced times (the chunk boundaries), never
   * on the order the shards' evidence and flow records arrive in (the worker count).
   */
  windowsJudged(nowNs: bigint): void {
    this.flows.advance(nowNs);
  }

  /**
   * A flow record was written: label its EVE event with the server's name and start the
   * summary's countdown. `ev` is the EVE flow event (mutated), when EVE is on.
   */
  onFlow(communityId: string, destIp: string, startNs: bigint, endNs: bigint, ev?: Record<string, unknown>): void {
    this.flows.onFlowEnd(communityId, endNs);
    if (ev) {
      const names = this.pdns.lookup(destIp, startNs);
      if (names.length > 0) {
        ev.dest_name = names[0];
        this.labelled++;
      }
    }
  }

  /** `VerdictDeps.names`. */
  names = (ip: string): string[] => this.pdns.lookup(ip, this.nowNs - this.keepNamesNs);

  /** `VerdictDeps.evidence`. */
  groupEvidence = (agg: WindowAggregate): GroupEvidence | null => this.flows.groupEvidence(agg);

  /** Attach evidence to an alert before it is written. */
  attach(a: ExfilAlert): ExfilAlert {
    const ev = this.flows.alertEvidence(a.aggregate, this.pdns, a.aggregate.window_start_ns);
    this.alerts++;
    if (ev.sni_dns_mismatch) this.mismatches++;
    return attachEvidence(a, ev);
  }

  get stats(): SessionEvidenceStats {
    return {
      passive_dns: { ...this.pdns.stats },
      flows: { ...this.flows.stats },
      flows_labelled: this.labelled,
      alerts_with_evidence: this.alerts,
      sni_dns_mismatches: this.mismatches,
    };
  }
}
