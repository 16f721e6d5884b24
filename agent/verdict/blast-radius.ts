/**
 * Blast radius (runbook `000_…` step 8, SPEC section 4): per window, how many distinct internal
 * sources upload to the same destination IP, and to the same destination entity (the SNI /
 * DNS registered domain when known, else the GeoIP organization).
 */
import { registeredDomain } from './registered-domain.js';

/** Who runs a destination: `dom:<registered domain>` or `org:<GeoIP org>`. */
export type DestEntity = string;

/**
 * The entity a destination belongs to, for blast radius, consolidation and low-and-slow.
 * Preference: the SNI's registered domain; else the registered domain most names (passive DNS)
 * share, ties broken by name order; else the GeoIP organization; else null. Domains come first
 * because an organization such as a cloud provider spans unrelated tenants.
 */
export function destinationEntity(
  sni: string | null | undefined,
  names: readonly string[],
  org: string | null | undefined,
): DestEntity | null {
  const fromSni = registeredDomain(sni);
  if (fromSni) return `dom:${fromSni}`;
  const counts = new Map<string, number>();
  for (const n of names) {
    const d = registeredDomain(n);
    if (d) counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  let best: string | null = null;
  let bestCount = 0;
  for (const [d, c] of [...counts].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    if (c > bestCount) {
      best = d;
      bestCount = c;
    }
  }
  if (best) return `dom:${best}`;
  const o = org?.trim();
  return o ? `org:${o}` : null;
}

/** Human form of an entity key: `example.com (registered domain)` / `Amazon.com (organization)`. */
export function describeEntity(entity: DestEntity): string {
  if (entity.startsWith('dom:')) return `${entity.slice(4)} (registered domain)`;
  if (entity.startsWith('org:')) return `${entity.slice(4)} (organization)`;
  return entity;
}

export interface BlastInput {
  src_ip: string;
  dest_ip: string;
  entity: DestEntity | null;
  upload_bytes: number;
}

export interface BlastRadiusCounts {
  sources_to_dest_ip: number;
  /** Null when the destination's entity is unknown. */
  sources_to_dest_org: number | null;
}

/** Distinct uploading sources per destination IP and per entity, for one window. */
export class BlastRadius {
  private readonly byIp = new Map<string, Set<string>>();
  private readonly byEntity = new Map<DestEntity, Set<string>>();

  /** Only groups that uploaded something count as "uploading to" the destination. */
  constructor(items: Iterable<BlastInput>) {
    for (const it of items) {
      if (it.upload_bytes <= 0) continue;
      let s = this.byIp.get(it.dest_ip);
      if (!s) this.byIp.set(it.dest_ip, (s = new Set()));
      s.add(it.src_ip);
      if (it.entity) {
        let e = this.byEntity.get(it.entity);
        if (!e) this.byEntity.set(it.entity, (e = new Set()));
        e.add(it.src_ip);
      }
    }
  }

  sourcesToIp(destIp: string): number {
    return this.byIp.get(destIp)?.size ?? 0;
  }

  sourcesToEntity(entity: DestEntity): number {
    return this.byEntity.get(entity)?.size ?? 0;
  }

  /** Counts for an alert on `destIp` (and its entity). */
  of(destIp: string, entity: DestEntity | null): BlastRadiusCounts {
    return {
      sources_to_dest_ip: this.sourcesToIp(destIp),
      sources_to_dest_org: entity ? this.sourcesToEntity(entity) : null,
    };
  }

  /** Distinct sources across several destination IPs (consolidated findings). */
  sourcesToAnyIp(destIps: Iterable<string>): number {
    const all = new Set<string>();
    for (const ip of destIps) for (const s of this.byIp.get(ip) ?? []) all.add(s);
    return all.size;
  }
}
