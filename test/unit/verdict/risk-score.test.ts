import { describe, expect, it } from 'vitest';
import { localClock } from '../../../agent/verdict/local-time.js';
import { DEFAULT_VERDICT_OPTIONS } from '../../../agent/verdict/options.js';
import {
  assetCriticality,
  combineRisk,
  connectionPattern,
  destinationNovelty,
  offHours,
  processRarity,
  RISK_WEIGHTS,
  riskLevel,
  volumeAnomaly,
} from '../../../agent/verdict/risk-score.js';
import { MB } from './fixtures.js';

const hours = (timezone: string) => ({ ...DEFAULT_VERDICT_OPTIONS.business_hours, timezone });
const offAt = (iso: string, tz: string) => offHours(localClock(Date.parse(iso), tz), hours(tz)).score;

describe('risk score', () => {
  it('weights are those of 001 and sum to 1', () => {
    expect(RISK_WEIGHTS).toEqual({
      destination_novelty: 0.25,
      volume_anomaly: 0.25,
      process_rarity: 0.15,
      off_hours: 0.1,
      asset_criticality: 0.1,
      connection_pattern: 0.15,
    });
    expect(Object.values(RISK_WEIGHTS).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('risk levels: [0,.2) informational, [.2,.4) low, [.4,.6) medium, [.6,.8) high, [.8,1] critical', () => {
    expect(riskLevel(0)).toBe('informational');
    expect(riskLevel(0.1999)).toBe('informational');
    expect(riskLevel(0.2)).toBe('low');
    expect(riskLevel(0.4)).toBe('medium');
    expect(riskLevel(0.6)).toBe('high');
    expect(riskLevel(0.8)).toBe('critical');
    expect(riskLevel(1)).toBe('critical');
  });

  it('composite is the weighted sum in [0, 1]', () => {
    const all = (s: number) =>
      combineRisk(
        (Object.keys(RISK_WEIGHTS) as (keyof typeof RISK_WEIGHTS)[]).map((name) => ({
          name,
          weight: RISK_WEIGHTS[name],
          score: s,
          explanation: '',
        })),
      );
    expect(all(1).composite_score).toBe(1);
    expect(all(1).risk_level).toBe('critical');
    expect(all(0).composite_score).toBe(0);
    expect(all(0.5).composite_score).toBe(0.5);
  });

  it('destination_novelty: new = 1, established = 0 (informational), site knowledge lowers it', () => {
    const base = { minFlows: 10, lookbackDays: 7, siteSources: 0 };
    expect(destinationNovelty({ ...base, established: false, hostFlows: 0 }).score).toBe(1);
    expect(destinationNovelty({ ...base, established: false, hostFlows: 5 }).score).toBe(0.5);
    const est = destinationNovelty({ ...base, established: true, hostFlows: 12 });
    expect(est.score).toBe(0);
    expect(est.explanation).toMatch(/established.*informational/);
    expect(destinationNovelty({ ...base, established: false, hostFlows: 0, siteSources: 3 }).score).toBeCloseTo(0.6);
  });

  it('volume_anomaly: neutral without history, 0 at the mean, 1 at ten times', () => {
    const v = (upload: number, history: number[]) => volumeAnomaly({ upload, history, unit: 'window', lookbackDays: 7 });
    expect(v(5 * MB, []).score).toBe(0.5);
    expect(v(5 * MB, []).explanation).toMatch(/no 7-day history/);
    expect(v(5 * MB, [5 * MB, 5 * MB]).score).toBe(0);
    expect(v(1 * MB, [5 * MB]).score).toBe(0);
    expect(v(50 * MB, [5 * MB]).score).toBe(1);
    expect(v(500 * MB, [5 * MB]).score).toBe(1);
    expect(v(5 * MB * Math.sqrt(10), [5 * MB]).score).toBeCloseTo(0.5, 4);
  });

  it('process_rarity uses the client fingerprint and says a sensor sees no process', () => {
    const none = processRarity({ fingerprint: null, others: 0, otherHosts: 0, lookbackDays: 7 });
    expect(none.score).toBe(0.5);
    expect(none.explanation).toMatch(/sees no process/);
    const fp = { kind: 'ja4' as const, value: 't13d1516h2_8daaf6152771_02713d6af862' };
    expect(processRarity({ fingerprint: fp, others: 0, otherHosts: 40, lookbackDays: 7 }).score).toBe(1);
    expect(processRarity({ fingerprint: fp, others: 40, otherHosts: 40, lookbackDays: 7 }).score).toBe(0);
    expect(processRarity({ fingerprint: fp, others: 10, otherHosts: 40, lookbackDays: 7 }).score).toBe(0.75);
    const alone = processRarity({ fingerprint: fp, others: 0, otherHosts: 0, lookbackDays: 7 });
    expect(alone.score).toBe(0.5);
    expect(alone.explanation).toMatch(/JA4/);
  });

  it('off_hours in UTC: business 08:00-18:00 Mon-Fri, end exclusive', () => {
    expect(offAt('2024-03-12T08:00:00Z', 'UTC')).toBe(0);
    expect(offAt('2024-03-12T17:59:00Z', 'UTC')).toBe(0);
    expect(offAt('2024-03-12T18:00:00Z', 'UTC')).toBe(1);
    expect(offAt('2024-03-12T07:59:00Z', 'UTC')).toBe(1);
    expect(offAt('2024-03-16T12:00:00Z', 'UTC')).toBe(1); // Saturday
  });

  it('off_hours in a non-UTC zone follows local time and DST (Europe/Berlin)', () => {
    const tz = 'Europe/Berlin';
    // Winter (CET, UTC+1): 07:30Z is 08:30 local, inside; 17:30Z is 18:30 local, outside.
    expect(offAt('2024-03-29T07:30:00Z', tz)).toBe(0); // Friday
    expect(offAt('2024-03-29T17:30:00Z', tz)).toBe(1);
    // Summer (CEST, UTC+2) after the 2024-03-31 switch: 06:30Z is 08:30 local, inside.
    expect(offAt('2024-04-02T06:30:00Z', tz)).toBe(0);
    // The same UTC instant was off-hours a week earlier, before the switch (07:30 local).
    expect(offAt('2024-03-26T06:30:00Z', tz)).toBe(1);
    // Monday 00:30 Berlin is still Sunday in UTC: local weekday decides.
    const c = localClock(Date.parse('2024-04-07T22:30:00Z'), tz);
    expect(c.weekday).toBe(1);
    expect(c.minute).toBe(30);
    const f = offHours(c, hours(tz));
    expect(f.score).toBe(1);
    expect(f.explanation).toMatch(/Mon 2024-04-08 00:30 Europe\/Berlin: outside business hours/);
  });

  it('off_hours in America/New_York across the November fall-back', () => {
    const tz = 'America/New_York';
    expect(offAt('2024-11-01T12:30:00Z', tz)).toBe(0); // Fri 08:30 EDT
    expect(offAt('2024-11-04T12:30:00Z', tz)).toBe(1); // Mon 07:30 EST
    expect(offAt('2024-11-04T13:30:00Z', tz)).toBe(0); // Mon 08:30 EST
  });

  it('asset_criticality maps tiers 1..4 to 1..0', () => {
    expect(assetCriticality({ tier: 1, matched: { cidr: '10.1.0.0/16', name: 'db' } }).score).toBe(1);
    expect(assetCriticality({ tier: 2, matched: null }).score).toBeCloseTo(0.6667, 4);
    expect(assetCriticality({ tier: 3, matched: null }).score).toBeCloseTo(0.3333, 4);
    expect(assetCriticality({ tier: 4, matched: null }).score).toBe(0);
  });

  it('connection_pattern: unusual port, raw TCP, sustained', () => {
    const usualPorts = DEFAULT_VERDICT_OPTIONS.usual_ports;
    const cp = (proto: string, app: string | null, port: number, sustained: string | null = null) =>
      connectionPattern({ proto, app_proto: app, dest_port: port, usualPorts, sustained });
    expect(cp('TCP', 'tls', 443).score).toBe(0);
    expect(cp('TCP', 'tls', 4444).score).toBe(0.6);
    expect(cp('TCP', 'tls', 4444).explanation).toMatch(/unusual port 4444/);
    expect(cp('TCP', null, 443).score).toBe(0.6);
    expect(cp('TCP', 'failed', 9001).explanation).toMatch(/raw TCP/);
    expect(cp('UDP', null, 9001).score).toBe(0);
    expect(cp('TCP', 'tls', 443, 'long').score).toBe(0.4);
    expect(cp('TCP', null, 9001, 'long').score).toBe(1);
    expect(cp('TCP', 'rdp', 3389).score).toBe(0); // no usual-port list for it: not judged
  });
});
