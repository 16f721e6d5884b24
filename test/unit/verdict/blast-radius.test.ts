import { describe, expect, it } from 'vitest';
import { BlastRadius, destinationEntity } from '../../../agent/verdict/blast-radius.js';
import { registeredDomain } from '../../../agent/verdict/registered-domain.js';
import { Verdict } from '../../../agent/verdict/verdict.js';
import { agg, MB, options } from './fixtures.js';

describe('registered domain', () => {
  it('is the last two labels, or three under common second-level suffixes', () => {
    expect(registeredDomain('bucket.s3.amazonaws.com')).toBe('amazonaws.com');
    expect(registeredDomain('WWW.Example.COM.')).toBe('example.com');
    expect(registeredDomain('shop.example.co.uk')).toBe('example.co.uk');
    expect(registeredDomain('a.b.example.com.au')).toBe('example.com.au');
    expect(registeredDomain('co.uk')).toBeNull();
    expect(registeredDomain('example.com')).toBe('example.com');
    expect(registeredDomain('localhost')).toBeNull();
    expect(registeredDomain('198.51.100.1')).toBeNull();
    expect(registeredDomain('')).toBeNull();
    expect(registeredDomain(null)).toBeNull();
  });
  it('entity prefers the SNI, then the commonest DNS domain, then the GeoIP org', () => {
    expect(destinationEntity('x.mega.nz', ['a.example.com'], 'Org')).toBe('dom:mega.nz');
    expect(destinationEntity(null, ['a.b.com', 'c.a.com', 'd.a.com'], 'Org')).toBe('dom:a.com');
    expect(destinationEntity(null, ['x.b.com', 'x.a.com'], 'Org')).toBe('dom:a.com');
    expect(destinationEntity(null, [], 'Amazon.com, Inc.')).toBe('org:Amazon.com, Inc.');
    expect(destinationEntity(null, [], null)).toBeNull();
  });
});

describe('blast radius', () => {
  it('counts distinct uploading sources per destination IP and per entity', () => {
    const b = new BlastRadius([
      { src_ip: '10.0.0.1', dest_ip: '198.51.100.1', entity: 'dom:x.com', upload_bytes: 10 },
      { src_ip: '10.0.0.1', dest_ip: '198.51.100.1', entity: 'dom:x.com', upload_bytes: 10 }, // same source again
      { src_ip: '10.0.0.2', dest_ip: '198.51.100.1', entity: 'dom:x.com', upload_bytes: 10 },
      { src_ip: '10.0.0.3', dest_ip: '198.51.100.2', entity: 'dom:x.com', upload_bytes: 10 },
      { src_ip: '10.0.0.4', dest_ip: '198.51.100.2', entity: 'dom:x.com', upload_bytes: 0 }, // not uploading
      { src_ip: '10.0.0.5', dest_ip: '198.51.100.3', entity: null, upload_bytes: 10 },
    ]);
    expect(b.of('198.51.100.1', 'dom:x.com')).toEqual({ sources_to_dest_ip: 2, sources_to_dest_org: 3 });
    expect(b.of('198.51.100.2', 'dom:x.com')).toEqual({ sources_to_dest_ip: 1, sources_to_dest_org: 3 });
    expect(b.of('198.51.100.3', null)).toEqual({ sources_to_dest_ip: 1, sources_to_dest_org: null });
    expect(b.sourcesToAnyIp(['198.51.100.1', '198.51.100.2'])).toBe(3);
  });

  it('reaches the alerts of a window', () => {
    const v = new Verdict(options(), {
      sensorId: 's1',
      names: (ip) => (ip.startsWith('198.51.100.') ? ['upload.filedrop.example'] : []),
    });
    const alerts = v.onWindowClosed([
      agg({ src_ip: '10.0.0.1', dest_ip: '198.51.100.1', up: 20 * MB, down: 1 * MB }),
      agg({ src_ip: '10.0.0.2', dest_ip: '198.51.100.1', up: 2 * MB, down: 0 }),
      agg({ src_ip: '10.0.0.3', dest_ip: '198.51.100.2', up: 100, down: 1000 }),
      agg({ src_ip: '10.0.0.4', dest_ip: '203.0.113.9', up: 5 * MB, down: 0 }),
    ]);
    const a1 = alerts.find((a) => a.aggregate.src_ip === '10.0.0.1');
    expect(a1?.blast_radius).toEqual({ sources_to_dest_ip: 2, sources_to_dest_org: 3 });
    const a4 = alerts.find((a) => a.aggregate.src_ip === '10.0.0.4');
    expect(a4?.blast_radius).toEqual({ sources_to_dest_ip: 1, sources_to_dest_org: null });
    v.close();
  });
});
