/**
 * Alert sets for the page tests: real alerts from a replay of a pcapgen capture, plus synthetic
 * variants built from them (same shape, deterministic ids) so there is more than one page, every
 * severity, geo/ASN data, TLS/HTTP evidence, an IOC match and a destination reached by several
 * sources (blast radius). Volumes of each variant are chosen so its severity follows the SPEC ladder.
 */
import { createHash } from 'node:crypto';
import type { AlertEvidence } from '../../agent/verdict/types.js';

const MB = 1_048_576;

/** A WireAlert as the collector receives it (ExfilAlert with string ns bounds, plus evidence). */
export type WireAlert = Record<string, any> & { id: string; sensor_id: string; severity: string; aggregate: Record<string, any> };

/** Destinations of the synthetic variants, with the geo data a GeoIP lookup would give. */
export const DESTS = [
  { ip: '185.220.101.7', country: 'DE', asn: 24940, org: 'Hetzner Online GmbH', sni: 'files.paste-drop.example', port: 443, app: 'tls' },
  { ip: '52.216.8.51', country: 'US', asn: 16509, org: 'Amazon.com, Inc.', sni: 'company-backups-prod.s3.amazonaws.com', port: 443, app: 'tls' },
  { ip: '104.16.2.9', country: 'US', asn: 13335, org: 'Cloudflare, Inc.', sni: null, port: 80, app: 'http' },
  { ip: '91.198.174.3', country: 'NL', asn: 14907, org: 'Wikimedia Foundation', sni: 'upload.wikimedia.example', port: 443, app: 'tls' },
  { ip: '203.0.113.77', country: 'RU', asn: 48666, org: 'Example VPS Reseller', sni: null, port: 8443, app: null },
] as const;

/** The blast-radius destination: DESTS[0] is reached by this many distinct sources. */
export const BLAST_SOURCES = 6;

/** upload / download pairs that land on each tier of the ladder. */
const VOLUMES: Record<string, [number, number]> = {
  critical: [212 * MB + 12_345, 8 * MB + 777],
  high: [48 * MB + 4_321, 6 * MB + 99],
  medium: [14 * MB + 1_234, 3 * MB + 55],
  low: [3 * MB + 417, 1 * MB + 3],
};
const TIERS = ['critical', 'high', 'medium', 'low', 'low', 'medium', 'high', 'low'];

const idOf = (s: string): string => createHash('sha256').update(s).digest('hex');
const cidOf = (s: string): string => `1:${createHash('sha1').update(s).digest('base64')}`;

/** EVE time format (what the sensor prints): `2024-03-12T09:15:00.000000+0000`. */
function eveTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000+0000');
}

/**
 * `count` variants of `base` (a real alert): windows stepping back 15 minutes from the base's
 * window, sources in 10.20.0.0/16, destinations from DESTS (the first one from BLAST_SOURCES
 * sources). Variant 0 carries the full evidence set the sidebar test checks.
 */
export function variants(base: WireAlert, count: number, sensorId: string): WireAlert[] {
  const baseStart = Date.parse(String(base.aggregate.window_start).replace(/(\.\d{3})\d*\+0000$/, '$1Z'));
  const out: WireAlert[] = [];
  for (let i = 0; i < count; i++) {
    const a = structuredClone(base) as WireAlert;
    const tier = i === 0 ? 'critical' : (TIERS[i % TIERS.length] as string);
    // Blast radius: variants 0..BLAST_SOURCES*2-1 with even i go to DESTS[0] from distinct sources.
    const toBlast = i % 2 === 0 && i < BLAST_SOURCES * 2;
    const dest = toBlast ? DESTS[0] : DESTS[1 + (i % (DESTS.length - 1))]!;
    const src = `10.20.${Math.floor(i / 4)}.${10 + (i % 4) * 17}`;
    const [up, down] = VOLUMES[tier]!;
    const start = baseStart - (i + 1) * 900_000;
    const agg = a.aggregate;
    const ratio = Math.min(Math.floor((up / down) * 100) / 100, 999.99);
    const cid = cidOf(`variant-${i}`);
    a.id = idOf(`browser-variant-${i}`);
    a.sensor_id = sensorId;
    a.severity = tier;
    a.rules_fired = tier === 'critical' && i === 0 ? ['ioc:destination', 'ratio>=10&upload>=100MB'] : [`ladder:${tier}`];
    a.notes = i === 0 ? ['upload is a lower bound: the sensor dropped 12 packets in this window'] : [];
    Object.assign(agg, {
      src_ip: src,
      dest_ip: dest.ip,
      dest_port: dest.port,
      proto: 'TCP',
      app_proto: dest.app,
      window_start: eveTime(start),
      window_end: eveTime(start + 900_000),
      window_start_ns: `${BigInt(start) * 1_000_000n}`,
      window_end_ns: `${BigInt(start + 900_000) * 1_000_000n}`,
      flow_count: 3 + (i % 5),
      unique_flows: 2 + (i % 3),
      total_upload_bytes: up,
      total_download_bytes: down,
      upload_mb: Math.floor((up / MB) * 100) / 100,
      download_mb: Math.floor((down / MB) * 100) / 100,
      upload_ratio: ratio,
      pcr: Math.round(((up - down) / (up + down)) * 10_000) / 10_000,
      malicious_iocs: i === 0 ? 1 : 0,
      iocs_checked: 2,
      dest_country: dest.country,
      dest_asn: dest.asn,
      dest_org: dest.org,
      community_ids: [cid, cidOf(`variant-${i}-b`)],
      community_ids_total: 2,
      lower_bound: i === 0,
    });
    agg.largest_flow = { ...agg.largest_flow, src_ip: src, src_port: 40_000 + i, dest_ip: dest.ip, dest_port: dest.port, app_proto: dest.app, community_id: cid, upload_bytes: up - 1000 };
    a.ioc_matches = i === 0 ? [{ feed: 'abuse-c2', kind: 'c2', indicator: dest.ip, actor: 'FIN-EXAMPLE' }] : [];
    a.confidence = i === 0 ? 0.99 : 0.6 + (i % 4) * 0.05;
    a.blast_radius = { sources_to_dest_ip: toBlast ? BLAST_SOURCES : 1, sources_to_dest_org: null };
    const none = { sni: [], ja3: [], ja4: [], http_hosts: [], http_user_agents: [], dns_names: [], ssh_client: [], ssh_server: [], file_types: [], alpn: [] };
    const evidence: AlertEvidence = dest.app === 'tls'
      ? { ...none, sni: dest.sni ? [dest.sni] : [], ja3: ['e7d705a3286e19ea42f587b344ee6865'], ja4: ['t13d1516h2_8daaf6152771_02713d6af862'],
          alpn: ['h2'], dns_names: dest.sni ? [dest.sni] : [], sni_dns_mismatch: false }
      : dest.app === 'http'
        ? { ...none, http_hosts: ['cdn-upload.example.net'], http_user_agents: ['curl/8.5.0'], dns_names: ['cdn-upload.example.net'], file_types: ['zip'], sni_dns_mismatch: false }
        : { ...none, sni_dns_mismatch: false };
    a.evidence = evidence;
    out.push(a);
  }
  return out;
}

/** A WireWindow (docs/collector-api.md): one group-window aggregate for the 7-day baselines. */
export interface WireWindow {
  src_ip: string;
  dest_ip: string;
  dest_port: number;
  proto: string;
  app_proto: string | null;
  window_start: string;
  window_end: string;
  upload_bytes: number;
  download_bytes: number;
  flow_count: number;
}

/** The window aggregate each alert was raised on, as the sensor ships it beside the alert. */
export function windowOf(a: WireAlert): WireWindow {
  const g = a.aggregate;
  return {
    src_ip: g.src_ip, dest_ip: g.dest_ip, dest_port: g.dest_port, proto: g.proto, app_proto: g.app_proto,
    window_start: g.window_start, window_end: g.window_end,
    upload_bytes: g.total_upload_bytes, download_bytes: g.total_download_bytes, flow_count: g.flow_count,
  };
}

/**
 * Ordinary download-heavy windows (software updates, video) and a few balanced ones, so the
 * Producer-Consumer Ratio widget has consumers next to the alerting producers.
 */
export function backgroundWindows(count: number, startIso: string): WireWindow[] {
  const start = Date.parse(startIso.replace(/(\.\d{3})\d*\+0000$/, '$1Z'));
  const out: WireWindow[] = [];
  for (let i = 0; i < count; i++) {
    const s = start - (i % 8) * 900_000;
    const balanced = i % 5 === 0;
    out.push({
      src_ip: `10.30.${i % 4}.${20 + i}`, dest_ip: `198.51.100.${1 + (i % 9)}`, dest_port: 443, proto: 'TCP', app_proto: 'tls',
      window_start: eveTime(s), window_end: eveTime(s + 900_000),
      upload_bytes: balanced ? 2 * MB + i : 150_000 + i * 1000, download_bytes: balanced ? 2 * MB + 4 * i : 40 * MB + i * 7,
      flow_count: 1 + (i % 3),
    });
  }
  return out;
}

/** The collector's PCR buckets computed here independently: group key -> pcr -> bucket name. */
export function pcrBuckets(sensorId: string, windows: WireWindow[]): Map<string, number> {
  const groups = new Map<string, { up: number; down: number }>();
  for (const w of windows) {
    const k = [sensorId, w.src_ip, w.dest_ip, w.dest_port, w.proto, w.app_proto].join('|');
    const g = groups.get(k) ?? { up: 0, down: 0 };
    g.up += w.upload_bytes;
    g.down += w.download_bytes;
    groups.set(k, g);
  }
  const out = new Map<string, number>();
  for (const { up, down } of groups.values()) {
    if (up + down === 0) continue;
    const p = (up - down) / (up + down);
    const b = p >= 0.8 ? 'pure_upload' : p >= 0.4 ? 'mostly_upload' : p > -0.4 ? 'balanced' : p > -0.8 ? 'mostly_download' : 'pure_download';
    out.set(b, (out.get(b) ?? 0) + 1);
  }
  return out;
}
