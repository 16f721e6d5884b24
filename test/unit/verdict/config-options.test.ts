import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, parseConfig } from '../../../agent/config/load.js';
import { Verdict } from '../../../agent/verdict/verdict.js';
import { agg, MB, nsOf } from './fixtures.js';

describe('VerdictOptions from the validated config', () => {
  it('the frozen built-in defaults drive a Verdict', () => {
    const v = new Verdict(DEFAULT_CONFIG.verdict, { sensorId: DEFAULT_CONFIG.sensor_id });
    const [a] = v.onWindowClosed([agg({ up: 100 * MB, down: 10 * MB })]);
    expect(a?.severity).toBe('critical');
    v.close();
  });

  it('config/site-example.yaml: Berlin business hours, assets, maintenance and backup windows', () => {
    const cfg = parseConfig(readFileSync('config/site-example.yaml', 'utf8'), 'config/site-example.yaml');
    const opts = { ...cfg.verdict, baseline: { ...cfg.verdict.baseline, path: ':memory:' } };
    const v = new Verdict(opts, { sensorId: cfg.sensor_id, names: (ip) => (ip === '198.51.100.30' ? ['eu.backup.example.com'] : []) });
    // Saturday 2025-09-13 23:00 Berlin (21:00Z): weekend patching and the data-center move.
    const sat = nsOf('2025-09-13T21:00:00Z');
    const skipped = v.onWindowClosed([
      agg({ start: sat, src_ip: '10.40.2.17', up: 200 * MB }),
      agg({ start: sat, src_ip: '10.30.5.5', up: 200 * MB }),
      agg({ start: sat, src_ip: '10.10.1.1', up: 200 * MB }),
    ]);
    expect(skipped.map((a) => a.aggregate.src_ip)).toEqual(['10.10.1.1']);
    expect(v.lastWindow?.hosts_skipped_mw).toBe(2);
    const fin = skipped[0]?.risk.score_breakdown;
    expect(fin?.find((f) => f.name === 'asset_criticality')?.score).toBe(1);
    expect(fin?.find((f) => f.name === 'off_hours')?.explanation).toMatch(/Sat 2025-09-13 23:00 Europe\/Berlin: outside/);
    // Tuesday 2025-09-16 02:00 Berlin (00:00Z): nightly backup to backup.example.com is lowered.
    const tue = nsOf('2025-09-16T00:00:00Z');
    const [b] = v.onWindowClosed([agg({ start: tue, src_ip: '10.50.0.10', dest_ip: '198.51.100.30', up: 200 * MB, down: 1 * MB })]);
    expect(b?.severity).toBe('high');
    expect(b?.notes[0]).toBe("lowered from critical to high: inside backup window 'nightly-offsite-backup' (sanctioned upload)");
    v.close();
  });
});
