import { describe, expect, it } from 'vitest';
import { LowAndSlow } from '../../../agent/verdict/low-and-slow.js';
import { Verdict } from '../../../agent/verdict/verdict.js';
import { agg, MB, options, T0, WINDOW_NS } from './fixtures.js';

const KB = 1024;

describe('low-and-slow', () => {
  it('fires on the rolling sum while no window reaches Low', () => {
    const v = new Verdict(options(), { sensorId: 's1', geo: () => ({ country: 'RO', asn: 200325, org: 'XYZ-Reseller' }) });
    const found: { window: number; alerts: ReturnType<Verdict['onWindowClosed']> }[] = [];
    // 300 KB up / 10 KB down per window: each window far below 1 MB.
    for (let i = 0; i < 6; i++) {
      const start = T0 + BigInt(i) * WINDOW_NS;
      const alerts = v.onWindowClosed([agg({ start, dest_ip: '198.51.100.9', up: 300 * KB, down: 10 * KB })]);
      found.push({ window: i, alerts });
    }
    // Windows 0..3 sum to 1200 KB >= 1 MB: fires at window 3, once.
    expect(found.map((f) => f.alerts.length)).toEqual([0, 0, 0, 1, 0, 0]);
    const a = found[3]?.alerts[0];
    expect(a?.detection).toBe('low_and_slow');
    expect(a?.severity).toBe('low');
    expect(a?.rules_fired).toEqual(['ratio>=2&upload>=1MB']);
    expect(a?.aggregate.total_upload_bytes).toBe(1200 * KB);
    expect(a?.aggregate.window_start_ns).toBe(T0);
    expect(a?.aggregate.window_end_ns).toBe(T0 + 4n * WINDOW_NS);
    expect(a?.notes[0]).toMatch(/low-and-slow: 4 windows in the last 24 h to XYZ-Reseller \(organization\), each below the Low floor/);
    expect(a?.aggregate.dest_org).toBe('XYZ-Reseller');
    v.close();
  });

  it('restarts the sum after an alert, so a steady trickle alerts once per floor', () => {
    const ls = new LowAndSlow(options());
    let fired = 0;
    for (let i = 0; i < 12; i++) {
      const start = T0 + BigInt(i) * WINDOW_NS;
      const members = [agg({ start, up: 300 * KB, down: 0 })];
      fired += ls.observe(start, start + WINDOW_NS, [{ key: 'k', members, reachedTier: false }]).length;
    }
    expect(fired).toBe(3); // windows 3, 7, 11
  });

  it('a window that reached a tier on its own is not summed, nor anything before it', () => {
    const ls = new LowAndSlow(options());
    const step = (i: number, up: number, reachedTier = false) => {
      const start = T0 + BigInt(i) * WINDOW_NS;
      return ls.observe(start, start + WINDOW_NS, [{ key: 'k', members: [agg({ start, up, down: 0 })], reachedTier }]);
    };
    expect(step(0, 600 * KB)).toEqual([]);
    expect(step(1, 2 * MB, true)).toEqual([]);
    expect(step(2, 600 * KB)).toEqual([]); // 600 KB since the alerting window
    expect(step(3, 600 * KB)).toHaveLength(1);
  });

  it('only sums windows inside the horizon', () => {
    const ls = new LowAndSlow(options({ low_and_slow: { enabled: true, horizon_seconds: 3600 } }));
    let fired = 0;
    // 300 KB every 2 hours: never 4 windows in one hour.
    for (let i = 0; i < 40; i++) {
      const start = T0 + BigInt(i * 8) * WINDOW_NS;
      fired += ls.observe(start, start + WINDOW_NS, [{ key: 'k', members: [agg({ start, up: 300 * KB, down: 0 })], reachedTier: false }]).length;
    }
    expect(fired).toBe(0);
    expect(ls.size).toBe(1);
  });

  it('requires the Low ratio too', () => {
    const ls = new LowAndSlow(options());
    let fired = 0;
    for (let i = 0; i < 20; i++) {
      const start = T0 + BigInt(i) * WINDOW_NS;
      fired += ls.observe(start, start + WINDOW_NS, [{ key: 'k', members: [agg({ start, up: 300 * KB, down: 200 * KB })], reachedTier: false }]).length;
    }
    expect(fired).toBe(0);
  });

  it('re-observing the firing window fires identically (replay)', () => {
    const ls = new LowAndSlow(options());
    const run = (i: number) => {
      const start = T0 + BigInt(i) * WINDOW_NS;
      return ls.observe(start, start + WINDOW_NS, [{ key: 'k', members: [agg({ start, up: 300 * KB, down: 0, cid: `c${i}` })], reachedTier: false }]);
    };
    for (let i = 0; i < 3; i++) run(i);
    const first = run(3);
    const again = run(3);
    expect(first).toHaveLength(1);
    expect(again).toEqual(first);
  });
});
