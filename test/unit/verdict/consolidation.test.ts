import { describe, expect, it } from 'vitest';
import { consolidate, sumAggregates } from '../../../agent/verdict/consolidation.js';
import { Verdict } from '../../../agent/verdict/verdict.js';
import { agg, MB, options } from './fixtures.js';

const S3 = (ip: string) => (ip.startsWith('52.216.') ? ['company-backups.s3.amazonaws.com'] : []);

describe('destination consolidation', () => {
  it('sums a source\'s groups per entity across rotating IPs', () => {
    const a = agg({ dest_ip: '52.216.0.1', up: 4 * MB, down: 1 * MB, cid: 'c1' });
    const b = agg({ dest_ip: '52.216.0.2', up: 6 * MB, down: 1 * MB, cid: 'c2', lower_bound: true });
    const c = agg({ dest_ip: '198.51.100.3', up: 9 * MB, down: 0 });
    const groups = consolidate([
      { aggregate: a, entity: 'dom:amazonaws.com' },
      { aggregate: b, entity: 'dom:amazonaws.com' },
      { aggregate: c, entity: 'dom:other.example' },
    ]);
    expect(groups).toHaveLength(1);
    const g = groups[0];
    expect(g?.destIps).toEqual(['52.216.0.1', '52.216.0.2']);
    expect(g?.aggregate.total_upload_bytes).toBe(10 * MB);
    expect(g?.aggregate.total_download_bytes).toBe(2 * MB);
    expect(g?.aggregate.dest_ip).toBe('52.216.0.2'); // largest member
    expect(g?.aggregate.community_ids).toEqual(['c1', 'c2']);
    expect(g?.aggregate.lower_bound).toBe(true);
    expect(sumAggregates([a]).total_upload_bytes).toBe(4 * MB);
  });

  it('alerts when the rotating-IP sum passes a tier no single group reached', () => {
    const v = new Verdict(options(), { sensorId: 's1', names: S3 });
    // Five groups of 3 MB up / 1 MB down (3:1): each Low; the sum (15 MB, 3:1) is Medium.
    const aggs = [1, 2, 3, 4, 5].map((i) => agg({ dest_ip: `52.216.0.${i}`, up: 3 * MB, down: 1 * MB }));
    const alerts = v.onWindowClosed(aggs);
    const cons = alerts.filter((a) => a.detection === 'consolidated');
    expect(cons).toHaveLength(1);
    expect(cons[0]?.severity).toBe('medium');
    expect(cons[0]?.rules_fired).toEqual(['ratio>=2&upload>=10MB']);
    expect(cons[0]?.aggregate.total_upload_bytes).toBe(15 * MB);
    expect(cons[0]?.aggregate.upload_ratio).toBe(3);
    expect(cons[0]?.notes[0]).toMatch(/consolidated: 5 groups to 5 destination IPs of amazonaws.com \(registered domain\)/);
    expect(cons[0]?.blast_radius).toEqual({ sources_to_dest_ip: 1, sources_to_dest_org: 1 });
    expect(alerts.filter((a) => a.detection === 'window')).toHaveLength(5);
    expect(alerts.filter((a) => a.detection === 'window').every((a) => a.severity === 'low')).toBe(true);
    v.close();
  });

  it('sub-floor groups add up to a first tier', () => {
    const v = new Verdict(options(), { sensorId: 's1', names: S3 });
    const aggs = [1, 2, 3].map((i) => agg({ dest_ip: `52.216.0.${i}`, up: 400 * 1024, down: 10 * 1024 }));
    const alerts = v.onWindowClosed(aggs);
    expect(alerts.map((a) => [a.detection, a.severity])).toEqual([['consolidated', 'low']]);
    v.close();
  });

  it('stays silent when the sum reaches no higher tier than a member', () => {
    const v = new Verdict(options(), { sensorId: 's1', names: S3 });
    const alerts = v.onWindowClosed([
      agg({ dest_ip: '52.216.0.1', up: 20 * MB, down: 1 * MB }),
      agg({ dest_ip: '52.216.0.2', up: 1 * MB, down: 1 * MB }),
    ]);
    expect(alerts.map((a) => a.detection)).toEqual(['window']);
    v.close();
  });

  it('can be disabled', () => {
    const v = new Verdict(options({ consolidation: { enabled: false } }), { sensorId: 's1', names: S3 });
    const aggs = [1, 2, 3].map((i) => agg({ dest_ip: `52.216.0.${i}`, up: 400 * 1024, down: 10 * 1024 }));
    expect(v.onWindowClosed(aggs)).toEqual([]);
    v.close();
  });
});
