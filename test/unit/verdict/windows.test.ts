import { describe, expect, it } from 'vitest';
import { Verdict } from '../../../agent/verdict/verdict.js';
import { Schedules } from '../../../agent/verdict/windows.js';
import type { VerdictOptions } from '../../../agent/verdict/options.js';
import { agg, MB, nsOf, options, WINDOW_NS } from './fixtures.js';

const win = (iso: string): [bigint, bigint] => {
  const s = nsOf(iso);
  return [s, s + WINDOW_NS];
};

function schedules(over: Partial<VerdictOptions>): Schedules {
  return new Schedules(options(over));
}

describe('maintenance windows', () => {
  it('one-off (ISO, with or without offset) covers hosts by CIDR, overlap counts', () => {
    const s = schedules({
      maintenance_windows: [{ name: 'patch', hosts: ['10.1.0.0/16'], start: '2024-03-12T02:00:00Z', end: '2024-03-12T04:00:00Z' }],
    });
    expect(s.maintenanceFor('10.1.2.3', ...win('2024-03-12T02:00:00Z'))).toBe('patch');
    expect(s.maintenanceFor('10.1.2.3', ...win('2024-03-12T03:45:00Z'))).toBe('patch');
    expect(s.maintenanceFor('10.1.2.3', ...win('2024-03-12T01:50:00Z'))).toBe('patch'); // overlaps the start
    expect(s.maintenanceFor('10.1.2.3', ...win('2024-03-12T04:00:00Z'))).toBeNull();
    expect(s.maintenanceFor('10.1.2.3', ...win('2024-03-12T01:45:00Z'))).toBeNull();
    expect(s.maintenanceFor('10.2.0.1', ...win('2024-03-12T02:00:00Z'))).toBeNull();
  });

  it('recurring days + minutes in the configured zone, wrapping midnight, DST aware', () => {
    const s = schedules({
      business_hours: { start_min: 480, end_min: 1080, days: [1, 2, 3, 4, 5], timezone: 'Europe/Berlin' },
      // Saturdays 23:00 to Sunday 01:00 Berlin time.
      maintenance_windows: [{ name: 'weekly', hosts: ['10.0.0.7'], days: [6], start_min: 23 * 60, end_min: 60 }],
    });
    // 2024-03-16 is a Saturday; Berlin is UTC+1 in March before the 31st.
    expect(s.maintenanceFor('10.0.0.7', ...win('2024-03-16T22:00:00Z'))).toBe('weekly'); // Sat 23:00
    expect(s.maintenanceFor('10.0.0.7', ...win('2024-03-16T23:45:00Z'))).toBe('weekly'); // Sun 00:45
    expect(s.maintenanceFor('10.0.0.7', ...win('2024-03-17T00:00:00Z'))).toBeNull(); // Sun 01:00
    expect(s.maintenanceFor('10.0.0.7', ...win('2024-03-16T21:45:00Z'))).toBeNull(); // Sat 22:45
    // After the DST switch (UTC+2) the same local period starts at 21:00Z.
    expect(s.maintenanceFor('10.0.0.7', ...win('2024-04-06T21:00:00Z'))).toBe('weekly');
    expect(s.maintenanceFor('10.0.0.7', ...win('2024-04-06T22:45:00Z'))).toBe('weekly');
    expect(s.maintenanceFor('10.0.0.7', ...win('2024-04-06T23:00:00Z'))).toBeNull();
    // Friday night is not in it.
    expect(s.maintenanceFor('10.0.0.7', ...win('2024-03-15T22:00:00Z'))).toBeNull();
  });

  it('rejects malformed entries naming them', () => {
    expect(() => schedules({ maintenance_windows: [{ name: 'x', hosts: ['10.0.0.0/8'], start: '2024-03-12T02:00:00Z' }] })).toThrow(
      /'x': one-off needs both start and end/,
    );
    expect(() => schedules({ maintenance_windows: [{ name: 'y', hosts: ['10.0.0.0/8'], days: [8], start_min: 0, end_min: 60 }] })).toThrow(
      /'maintenance y': days are 1/,
    );
    expect(() => schedules({ business_hours: { start_min: 0, end_min: 60, days: [1], timezone: 'Mars/Olympus' } })).toThrow(/time zone/);
  });

  it('skips the hosts entirely and counts hosts_skipped_mw', () => {
    const v = new Verdict(
      options({ maintenance_windows: [{ name: 'patch', hosts: ['10.1.0.0/16'], start: '2024-03-12T09:00:00Z', end: '2024-03-12T11:00:00Z' }] }),
      { sensorId: 's1' },
    );
    const alerts = v.onWindowClosed([
      agg({ src_ip: '10.1.0.1', up: 500 * MB, down: 0 }),
      agg({ src_ip: '10.1.0.1', dest_ip: '198.51.100.77', up: 500 * MB, down: 0 }),
      agg({ src_ip: '10.1.0.2', up: 5 * MB, down: 0 }),
      agg({ src_ip: '10.2.0.1', up: 5 * MB, down: 0 }),
    ]);
    expect(alerts.map((a) => a.aggregate.src_ip)).toEqual(['10.2.0.1']);
    expect(v.lastWindow).toMatchObject({ groups: 4, groups_skipped_mw: 3, hosts_skipped_mw: 2, alerts: 1 });
    expect(v.stats.hosts_skipped_mw).toBe(2);
    // The blast radius of the remaining alert ignores the skipped hosts.
    expect(alerts[0]?.blast_radius.sources_to_dest_ip).toBe(1);
    v.close();
  });
});

describe('backup windows', () => {
  const backup: Partial<VerdictOptions> = {
    backup_windows: [
      { name: 'nightly', sources: ['10.10.8.0/24'], destinations: ['s3.amazonaws.com', '203.0.113.0/24'], start_min: 120, end_min: 240 },
    ],
  };

  it('match source, destination (CIDR or domain suffix) and time', () => {
    const s = schedules(backup);
    const w = win('2024-03-12T02:15:00Z');
    expect(s.backupFor('10.10.8.5', '52.216.1.1', ['company-backups.s3.amazonaws.com'], ...w)).toBe('nightly');
    expect(s.backupFor('10.10.8.5', '203.0.113.40', [], ...w)).toBe('nightly');
    expect(s.backupFor('10.10.8.5', '52.216.1.1', ['evil-s3.amazonaws.com.example'], ...w)).toBeNull();
    expect(s.backupFor('10.10.9.5', '203.0.113.40', [], ...w)).toBeNull();
    expect(s.backupFor('10.10.8.5', '203.0.113.40', [], ...win('2024-03-12T04:00:00Z'))).toBeNull();
  });

  it('lower the verdict one tier with a stated note, never drop it; IOC matches are not lowered', () => {
    const v = new Verdict(options(backup), {
      sensorId: 's1',
      iocs: {
        lookup: (ip) =>
          ip === '203.0.113.66' ? { matches: [{ feed: 'c2feed', kind: 'c2', indicator: ip }], checked: 1 } : { matches: [], checked: 1 },
      },
    });
    const start = nsOf('2024-03-12T02:15:00Z');
    const alerts = v.onWindowClosed([
      agg({ start, src_ip: '10.10.8.5', dest_ip: '203.0.113.40', up: 500 * MB, down: 1 * MB }),
      agg({ start, src_ip: '10.10.8.6', dest_ip: '203.0.113.41', up: 2 * MB, down: 0 }),
      agg({ start, src_ip: '10.10.8.7', dest_ip: '203.0.113.66', up: 2 * MB, down: 0 }),
    ]);
    const by = (src: string) => alerts.find((a) => a.aggregate.src_ip === src);
    expect(by('10.10.8.5')?.severity).toBe('high');
    expect(by('10.10.8.5')?.notes).toContain("lowered from critical to high: inside backup window 'nightly' (sanctioned upload)");
    expect(by('10.10.8.5')?.rules_fired).toEqual(['ratio>=10&upload>=100MB']);
    expect(by('10.10.8.6')?.severity).toBe('low');
    expect(by('10.10.8.6')?.notes[0]).toMatch(/already at the lowest tier, kept/);
    expect(by('10.10.8.7')?.severity).toBe('critical');
    expect(by('10.10.8.7')?.confidence).toBe(0.99);
    expect(by('10.10.8.7')?.notes[0]).toMatch(/IOC match on the destination keeps critical/);
    v.close();
  });
});
