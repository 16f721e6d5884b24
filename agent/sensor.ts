/**
 * The sensor's main job on a capture: replay -> flows and per-window aggregates from the
 * workers -> verdict on the main thread -> EVE events and alerts. The CLI's `replay` and the
 * demo both run through here, so what the demo shows is what the product does.
 */
import { replayFiles, type ReplayProgress, type ReplaySummary } from './capture/replay.js';
import { engineConfigText } from './config/engine-config.js';
import type { SensorConfig } from './config/load.js';
import { alertEvent, windowEvent } from './output/alert-events.js';
import { SessionEvidence } from './evidence/session-evidence.js';
import type { EvidenceEvent } from './evidence/types.js';
import { evidenceEvent, flowEvent, formatCommunityId, type LineWriter } from './output/eve.js';
import type { SensorMetrics } from './obs/metrics.js';
import { formatIp } from './output/net-format.js';
import { classify } from './verdict/severity.js';
import { Suppressions } from './verdict/suppressions.js';
import type { ExfilAlert, WindowAggregate } from './verdict/types.js';
import { Verdict, type VerdictStats } from './verdict/verdict.js';
import { WindowCollector } from './verdict/window-collector.js';

/** Which window aggregates become EVE `window` events. */
export type EveWindows = 'alerting' | 'all' | 'none';

export interface SensorOutputs {
  /** EVE lines: flow, window and alert events. */
  eve?: LineWriter | null;
  /** Alert JSON lines. */
  alerts?: LineWriter | null;
  /** Default 'alerting': groups that clear the ladder's Low floor. */
  eveWindows?: EveWindows;
  /** A returned promise holds the replay until it settles (the alert transport's backpressure). */
  onAlert?: (a: ExfilAlert) => Promise<void> | void;
  onWindow?: (a: WindowAggregate) => Promise<void> | void;
  /** App-layer evidence (also written to `eve` as tls/http/dns/ssh/quic/fileinfo events). */
  onEvidence?: (e: EvidenceEvent) => void;
  onProgress?: (p: ReplayProgress) => void;
  /** Track flows only: no window accounting, no verdict (flow export, and the flows benchmark). */
  flowsOnly?: boolean;
  /**
   * Suppressions applied by the verdict (the caller keeps it to feed pulled lists in); default:
   * the config's `allowlist:` only.
   */
  suppressions?: Suppressions;
  /** Live metrics (served by the caller, agent/obs/metrics.ts): fed as the replay goes. */
  metrics?: SensorMetrics;
}

export interface SensorRun {
  summary: ReplaySummary;
  alerts: ExfilAlert[];
  /** null with `flowsOnly`. */
  verdict: VerdictStats | null;
  /** Passive DNS and flow-evidence counters (null with `flowsOnly` and no EVE). */
  evidence: SessionEvidence['stats'] | null;
}

export async function runReplay(files: string[], cfg: SensorConfig, out: SensorOutputs = {}): Promise<SensorRun> {
  const cid = { base64: cfg.community_id.base64 };
  // Session evidence: passive DNS names on flow events, names and evidence for the verdict and
  // the alerts (agent/evidence/session-evidence.ts, docs/session-evidence.md).
  const session = out.flowsOnly && !out.eve ? null : new SessionEvidence(cfg);
  const suppressions = out.flowsOnly
    ? null
    : (out.suppressions ?? new Suppressions({ config: cfg.allowlist, expiryWarningSeconds: cfg.allowlist_expiry_warning_seconds }));
  if (suppressions && session) {
    // Domain scopes also see the alert's session evidence (SNI, DNS names, HTTP hosts).
    suppressions.alertNames = (a) => {
      const ev = session.flows.alertEvidence(a.aggregate, session.pdns, a.aggregate.window_start_ns);
      return [...ev.sni, ...ev.dns_names, ...ev.http_hosts];
    };
  }
  const verdict = out.flowsOnly
    ? null
    : new Verdict(cfg.verdict, { sensorId: cfg.sensor_id, names: session?.names, evidence: session?.groupEvidence, suppressions: suppressions ?? undefined });
  const alerts: ExfilAlert[] = [];
  const eveWindows = out.eveWindows ?? 'alerting';
  // Writers may ask us to wait; the replay reads the next chunk only after they have room.
  let pending: Promise<void> | undefined;
  const write = (w: LineWriter | null | undefined, ev: unknown): void => {
    const p = w?.write(ev);
    if (p) pending = p;
  };
  const collector = new WindowCollector(cfg.window.grace_seconds, (window) => {
    for (const agg of window) {
      out.metrics?.onWindow();
      const held = out.onWindow?.(agg);
      if (held) pending = held;
      if (eveWindows === 'all' || (eveWindows === 'alerting' && classify(agg.total_upload_bytes, agg.total_download_bytes, cfg.verdict).severity !== null)) {
        write(out.eve, windowEvent(agg, cfg.verdict.ratio_cap));
      }
    }
    for (const a of verdict?.onWindowClosed(window) ?? []) {
      session?.attach(a);
      alerts.push(a);
      out.metrics?.onAlert(a);
      const held = out.onAlert?.(a);
      if (held) pending = held;
      write(out.eve, alertEvent(a));
      write(out.alerts, a);
    }
  });
  try {
    const summary = await replayFiles(
      files,
      {
        workers: cfg.workers,
        engineConfig: engineConfigText(cfg, { windows: true, emitWindows: !out.flowsOnly }),
        vlanTracking: cfg.flow.vlan_tracking,
        chunkBytes: cfg.capture.batch.size_bytes,
        slots: cfg.capture.batch.slots,
        onProgress:
          out.onProgress || out.metrics
            ? (p) => {
                out.metrics?.onProgress(p);
                out.onProgress?.(p);
              }
            : undefined,
        ...(out.metrics ? { onCounters: (c: Record<string, number>) => out.metrics?.onCounters(c) } : {}),
        onSynced: (now) => {
          session?.sync(now);
          collector.sync(now);
          // Only now, after the windows closed at `now` were judged, may flow summaries go.
          session?.windowsJudged(now);
        },
        communityId: cid,
        onEvidence:
          out.eve || out.onEvidence || session || out.metrics
            ? (e) => {
                out.metrics?.onEvidence(e.event_type);
                session?.onEvidence(e);
                // A partial record (request headers / ClientHello before the transaction ends)
                // is session evidence only: EVE keeps one event per transaction, as Suricata.
                if (!e.partial) {
                  out.onEvidence?.(e);
                  if (out.eve) write(out.eve, evidenceEvent(e));
                }
                const p = pending;
                pending = undefined;
                return p;
              }
            : undefined,
      },
      (rec) => {
        out.metrics?.onFlow(rec);
        if (out.eve) {
          const ev = flowEvent(rec, cid);
          session?.onFlow(ev.community_id as string, ev.dest_ip as string, rec.startNs, rec.endNs, ev);
          write(out.eve, ev);
        } else if (session && session.flows.size > 0) {
          session.onFlow(formatCommunityId(rec.communityIdDigest, cid), formatIp(rec.dst), rec.startNs, rec.endNs);
        }
        const p = pending;
        pending = undefined;
        return p;
      },
      out.flowsOnly ? undefined : (agg) => collector.add(agg),
    );
    // End of replay: the workers flushed every window; judge what is still open.
    collector.flush();
    await pending;
    return { summary, alerts, verdict: verdict?.stats ?? null, evidence: session?.stats ?? null };
  } finally {
    verdict?.close();
  }
}
