/**
 * The sensor config's JSON Schema (SPEC section 7), validated with ajv (`allErrors`, defaults
 * filled in). One schema is the single source of truth for:
 *
 * - structure: every mapping has `additionalProperties: false`, so an unknown key is an error;
 * - defaults: `default` on every optional key (mappings default to `{}` so nested defaults fill);
 * - units: `unit: {kind, ...}` (see value-kinds.ts) checks unit strings during validation and
 *   tells the resolver how to convert them and which suffix the resolved key gets;
 * - reloads: `reloadable: false` marks keys that cannot change without a restart (SIGHUP reload
 *   refuses them, naming each; see reload.ts and NON_RELOADABLE_KEYS);
 * - docs: `description` on every key; `config/sensor.yaml` shows each key with its default.
 *
 * Conventions: keys are snake_case; sizes and durations are strings with units ("128 MiB",
 * "15m"); mappings merge with the defaults key by key, lists replace the default list.
 */
import type { UnitSpec } from './value-kinds.js';
import { WEEKDAYS } from './units.js';

export interface SchemaNode {
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: false;
  items?: SchemaNode;
  enum?: readonly unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minLength?: number;
  maxLength?: number;
  unit?: UnitSpec;
  reloadable?: boolean;
}

/** Application protocols as the engine names them (Suricata's spelling), plus "failed". */
export const APP_PROTOS = ['tls', 'http', 'http2', 'dns', 'ssh', 'smb', 'ftp', 'smtp', 'quic', 'imap', 'pop3', 'rdp', 'failed'] as const;
/** EVE event types the sensor writes. */
export const EVE_TYPES = ['flow', 'window', 'alert', 'tls', 'http', 'dns', 'ssh'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

// ---- builders (keep the schema below readable) ------------------------------------------

type Extra = Partial<SchemaNode>;

function section(description: string, properties: Record<string, SchemaNode>, extra: Extra = {}): SchemaNode {
  return { type: 'object', description, additionalProperties: false, properties, default: {}, ...extra };
}
function entry(description: string, properties: Record<string, SchemaNode>, required: string[]): SchemaNode {
  return { type: 'object', description, additionalProperties: false, properties, required };
}
function list(description: string, items: SchemaNode, def?: unknown[], extra: Extra = {}): SchemaNode {
  return { type: 'array', description, items, ...(def === undefined ? {} : { default: def }), ...extra };
}
function str(description: string, def?: string | null, extra: Extra = {}): SchemaNode {
  return { type: def === null ? ['string', 'null'] : 'string', description, ...(def === undefined ? {} : { default: def }), ...extra };
}
function unit(description: string, u: UnitSpec, def?: string | null, extra: Extra = {}): SchemaNode {
  return str(description, def, { unit: u, ...extra });
}
function int(description: string, def: number | undefined, minimum: number, maximum: number, extra: Extra = {}): SchemaNode {
  return { type: 'integer', description, minimum, maximum, ...(def === undefined ? {} : { default: def }), ...extra };
}
function bool(description: string, def: boolean, extra: Extra = {}): SchemaNode {
  return { type: 'boolean', description, default: def, ...extra };
}
function oneOf(description: string, values: readonly string[], def?: string): SchemaNode {
  return { type: 'string', description, enum: values, ...(def === undefined ? {} : { default: def }) };
}

const size = (min?: string, max?: string): UnitSpec => ({ kind: 'size', ...(min ? { min } : {}), ...(max ? { max } : {}) });
const dur = (o: { min?: string; max?: string; whole?: boolean; per?: 'day' } = {}): UnitSpec => ({ kind: 'duration', ...o });
const secs = (min = '0s', max = '7d'): UnitSpec => ({ kind: 'duration', min, max, whole: true });

const cidrList = (description: string, def?: string[], extra: Extra = {}): SchemaNode =>
  list(description, unit('IPv4 or IPv6 CIDR block, or one address', { kind: 'cidr' }), def, extra);
/** One CIDR or a list of them (allowlist scopes); resolved to a list. */
const cidrs = (description: string): SchemaNode => ({
  type: ['string', 'array'],
  description,
  items: unit('IPv4 or IPv6 CIDR block, or one address', { kind: 'cidr' }),
  minItems: 1,
  unit: { kind: 'cidr_list' },
});
const days = (description: string, def?: string[]): SchemaNode => ({
  type: 'array',
  description,
  items: { type: 'string', enum: WEEKDAYS, unit: { kind: 'weekday' } },
  uniqueItems: true,
  minItems: 1,
  ...(def ? { default: def } : {}),
});
const port = (description: string): SchemaNode => int(description, undefined, 0, 65535);

/** One protocol class of `flow.timeouts`: normal values next to their emergency variants. */
function timeoutClass(name: string, t: [number, number, number], e: [number, number, number]): SchemaNode {
  const s = (n: number): string => `${n}s`;
  return section(`${name} flows: seconds without a packet before a flow in each state ends (whole seconds)`, {
    new: unit('state new (no reply seen yet)', secs(), s(t[0])),
    established: unit('state established (both sides seen)', secs(), s(t[1])),
    closed: unit('state closed (TCP FIN/RST seen)', secs(), s(t[2])),
    emergency_new: unit('state new while the table is in emergency mode', secs(), s(e[0])),
    emergency_established: unit('state established in emergency mode', secs(), s(e[1])),
    emergency_closed: unit('state closed in emergency mode', secs(), s(e[2])),
  });
}

const rung = entry(
  'one rung: fires when upload_ratio >= min_ratio and upload >= min_upload (both inclusive)',
  {
    min_ratio: { type: 'number', description: 'upload/download ratio floor', minimum: 0 },
    min_upload: unit('upload volume floor (1 MB = 1 MiB = 1,048,576 bytes in the runbook)', size()),
  },
  ['min_ratio', 'min_upload'],
);
const tier = (name: string, def: { min_ratio: number; min_upload: string }[]): SchemaNode =>
  list(`${name}: fires when any rung holds; an empty list never fires`, rung, def);

// ---- the schema ---------------------------------------------------------------------------

export const SENSOR_CONFIG_SCHEMA: SchemaNode = {
  type: 'object',
  description: 'exfil-sensor configuration',
  additionalProperties: false,
  required: ['sensor_id'],
  properties: {
    sensor_id: unit('this sensor\'s name: part of every alert id and of the collector\'s records (fixed key)', { kind: 'name' }, undefined, {
      reloadable: false,
    }),
    home_net: cidrList(
      'internal networks (fixed key); when given it REPLACES the RFC-1918 default, so list every range; owned public ranges make destinations inside them internal',
      ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'],
      { minItems: 1, maxItems: 1024 },
    ),
    window: section('tumbling accounting windows, aligned to the epoch, in packet time (fixed key: window.length)', {
      length: unit('window length (whole seconds, 5s..7d)', dur({ min: '5s', max: '7d', whole: true }), '15m'),
      grace: unit('a window closes when packet time passes its end plus this; later packets still count (whole seconds)', dur({ min: '0s', max: '7d', whole: true }), '1m'),
      max_groups: int('most (group, window) aggregates held at once per worker; 0 = the flow table\'s flow limit', 0, 0, 1_000_000_000),
      memcap: unit('memory cap of the window aggregates per worker', size('1 MiB', '64 GiB'), '64 MiB'),
    }),
    collector: section('where alerts go (fixed keys: url, token); no url = alerts stay local (--alerts / EVE)', {
      url: unit('collector base URL, http:// or https://', { kind: 'url' }, null),
      token: str('bearer token sent as "Authorization: Bearer <token>"', null, { minLength: 1 }),
      ca: unit('PEM CA bundle to verify the collector (default: system CAs)', { kind: 'path' }, null),
      cert: unit('PEM client certificate for mTLS (needs key)', { kind: 'path' }, null),
      key: unit('PEM private key of cert', { kind: 'path' }, null),
    }),
    capture: section(
      'live capture (exfil-sensor live); replays ignore interface, bpf_filter, snaplen, promiscuous',
      {
        interface: str('network interface to capture on, e.g. "eth1" (required for live; --interface overrides)', null, { minLength: 1 }),
        bpf_filter: str('BPF filter expression applied by libpcap; "" = all packets', ''),
        snaplen: int('bytes kept per packet (longer packets are truncated and counted as such)', 65535, 64, 262144),
        promiscuous: bool('put the interface in promiscuous mode', true),
        batch: section('packets are copied into fixed chunks that go to the workers', {
          size: unit('chunk size: a chunk is sent when full', size('1 MiB', '256 MiB'), '8 MiB'),
          max_age: unit('... or when its first packet is this old (live only)', dur({ min: '1ms', max: '10s' }), '100ms'),
          slots: int('chunks in flight; no free slot = packet dropped, counted as batch_full', 4, 2, 64),
        }),
        idle_tick: unit('with no packets, advance packet time by the wall clock this often (live only)', dur({ min: '10ms', max: '1m' }), '1s'),
      },
      { reloadable: false },
    ),
    workers: {
      type: ['integer', 'string'],
      description: 'flow worker threads, each owning one shard of the flow table; "auto" = available cores (--workers overrides)',
      minimum: 1,
      maximum: 64,
      unit: { kind: 'workers' },
      default: 'auto',
      reloadable: false,
    },
    flow: section(
      'flow table (per worker), as Suricata\'s flow and flow-timeouts settings',
      {
        memcap: unit('flow table memory cap per worker; above it: emergency mode, oldest flows evicted (reason memcap)', size('1 MiB', '64 GiB'), '128 MiB'),
        hash_seed: int('seed of the flow table hash', 0x5eedf10e, 0, Number.MAX_SAFE_INTEGER),
        emergency_recovery: int('leave emergency mode once the table is below (100 - this) percent of its capacity', 30, 0, 100),
        emergency_syn_only: bool('in emergency mode, only a TCP SYN may create a TCP flow', false),
        vlan_tracking: bool('VLAN ids are part of the flow key (Suricata vlan.use-for-tracking)', true),
        recursion_tracking: bool('flows at different tunnel depths are kept apart (Suricata decoder.recursion-level.use-for-tracking)', true),
        udp_tunnel_detection: bool('also find Teredo and AYIYA tunnels by content on any UDP port, as Zeek does; false = their own ports only (3544, 5072), as Suricata', false),
        icmp_error_flows: bool('ICMPv4 errors that belong to no tracked flow become one-way flows (Suricata tracks none)', true),
        timeouts: section('flow timeouts per protocol class and state; each emergency_* value applies in emergency mode', {
          tcp: timeoutClass('TCP', [60, 600, 60], [5, 100, 10]),
          udp: timeoutClass('UDP', [30, 300, 0], [10, 100, 0]),
          icmp: timeoutClass('ICMP and ICMPv6', [30, 300, 0], [10, 100, 0]),
          default: timeoutClass('other IP protocols', [30, 300, 0], [10, 100, 0]),
        }),
      },
      { reloadable: false },
    ),
    community_id: section(
      'Community ID v1 on every flow and alert',
      {
        seed: int('Community ID seed (--community-id-seed overrides)', 0, 0, 65535),
        base64: bool('base64 form ("1:..."); false = hex (--community-id-hex overrides)', true),
      },
      { reloadable: false },
    ),
    app_layer: section(
      'session parsing in the Rust core per worker (app_proto; tls, quic, http, dns, ssh evidence): TCP is reassembled in order up to stream_depth per direction',
      {
        enabled: bool('parse sessions; false = flows and windows only (no app_proto, no evidence; about 2.5x cheaper per packet)', true),
        memcap: unit('memory of reassembly buffers and per-session parser state per worker; above it new sessions are not inspected (counted as app_memcap_hits, logged)', size('1 MiB', '64 GiB'), '64 MiB'),
        stream_depth: unit('bytes of each direction of a TCP session reassembled and parsed (Suricata stream.reassembly.depth); later bytes are counted, not parsed', size('1 KiB', '1 MiB'), '32 KiB'),
      },
      { reloadable: false },
    ),
    evidence: section('session evidence on the main thread: passive DNS and per-flow summaries attached to flows and alerts', {
      max_flows: int('most per-flow evidence summaries held (least recently touched evicted first, counted and logged)', 200_000, 1, 100_000_000),
      passive_dns: section('address -> names from the DNS answers seen, expiring by TTL in packet time', {
        max_entries: int('most addresses held (least recently used evicted first; evicting live names is counted and logged)', 100_000, 1, 100_000_000),
        ttl_floor: unit('shortest life of an answer (TTL 0 answers still label the connection that follows)', secs('0s', '1d'), '1m'),
        ttl_ceiling: unit('longest life of an answer, whatever its TTL', secs('1s', '30d'), '1d'),
      }),
    }),
    verdict: section('scoring: severity ladder, risk factors, baselines, maintenance and backup windows (applies from the next window after a reload)', {
      ladder: section('severity ladder; a window gets the highest tier that fires (an IOC match on the destination is always critical)', {
        critical: tier('critical', [{ min_ratio: 10, min_upload: '100 MiB' }]),
        high: tier('high', [
          { min_ratio: 5, min_upload: '10 MiB' },
          { min_ratio: 2, min_upload: '100 MiB' },
        ]),
        medium: tier('medium', [{ min_ratio: 2, min_upload: '10 MiB' }]),
        low: tier('low (the floor: below every low rung, no alert)', [{ min_ratio: 2, min_upload: '1 MiB' }]),
      }),
      ratio_cap: { type: 'number', description: 'upload_ratio is capped at this (also when download is 0)', exclusiveMinimum: 0, default: 999.99 },
      business_hours: section('business hours for the off_hours factor', {
        start: unit('start of business hours, local time HH:MM', { kind: 'clock' }, '08:00'),
        end: unit('end of business hours (exclusive), HH:MM, after start; "24:00" = midnight', { kind: 'clock', end: true }, '18:00'),
        days: days('business days', ['mon', 'tue', 'wed', 'thu', 'fri']),
        timezone: unit('IANA time zone of business hours and of recurring maintenance/backup windows', { kind: 'timezone' }, 'UTC'),
      }),
      assets: list(
        'asset criticality for the asset_criticality factor; the first entry whose cidr holds the source wins',
        entry(
          'an asset range',
          {
            cidr: unit('source range', { kind: 'cidr' }),
            tier: int('1 = most critical ... 4 = least', undefined, 1, 4),
            name: str('label shown in the alert', undefined, { minLength: 1 }),
          },
          ['cidr', 'tier'],
        ),
        [],
      ),
      default_asset_tier: int('tier of sources no asset entry matches', 3, 1, 4),
      baseline: section('7-day destination baseline (destination_novelty, volume_anomaly)', {
        established_min_flows: int('flows from a host to a destination over the lookback that make it "established"', 10, 1, 1_000_000),
        lookback: unit('how far back the baseline looks (whole days)', dur({ min: '1d', max: '90d', per: 'day' }), '7d'),
        path: unit('SQLite file that keeps the baseline across restarts; ":memory:" keeps it in memory only', { kind: 'path' }, ':memory:', {
          reloadable: false,
        }),
        max_pairs: int('upper bound on stored (source, destination) pairs; least recently seen dropped beyond it', 1_000_000, 1000, 1_000_000_000),
      }),
      maintenance_windows: list(
        'hosts skipped entirely while a window is active (counted as hosts_skipped_mw): one-off (ISO start/end with offset) or recurring (HH:MM start/end, optional days; end before start runs past midnight)',
        entry(
          'a maintenance window',
          {
            name: str('label', undefined, { minLength: 1 }),
            hosts: cidrList('hosts or subnets skipped', undefined, { minItems: 1 }),
            start: unit('"HH:MM" (recurring, business_hours.timezone) or "2025-06-30T22:00:00Z" (one-off)', { kind: 'clock_or_timestamp' }),
            end: unit('same form as start', { kind: 'clock_or_timestamp', end: true }),
            days: days('recurring only: days it applies (default every day)'),
          },
          ['name', 'hosts', 'start', 'end'],
        ),
        [],
      ),
      backup_windows: list(
        'sanctioned backups: matching uploads are downgraded with a stated reason, never hidden',
        entry(
          'a backup window',
          {
            name: str('label, shown as the reason', undefined, { minLength: 1 }),
            sources: cidrList('backup clients', undefined, { minItems: 1 }),
            destinations: list('CIDR blocks or domain suffixes (matched against SNI / DNS names)', unit('CIDR or domain suffix', { kind: 'cidr_or_domain' }), undefined, { minItems: 1 }),
            days: days('days it applies (default every day)'),
            start: unit('HH:MM, business_hours.timezone', { kind: 'clock' }),
            end: unit('HH:MM; before start = runs past midnight', { kind: 'clock', end: true }),
          },
          ['name', 'sources', 'destinations', 'start', 'end'],
        ),
        [],
      ),
      low_and_slow: section('rolling upload total per (source, destination org) that catches uploads kept under the low floor per window', {
        enabled: bool('turn the check on', true),
        horizon: unit('rolling period', dur({ min: '1h', max: '7d', whole: true }), '24h'),
      }),
      consolidation: section('also aggregate per (source, destination org or SNI registered domain), so rotating cloud IPs add up', {
        enabled: bool('turn consolidation on', true),
      }),
      usual_ports: section(
        'ports considered normal per app_proto (connection_pattern factor); each list replaces its default',
        Object.fromEntries(
          (
            [
              ['tls', [443, 8443, 993, 995, 465, 636, 853]],
              ['http', [80, 8080, 8000, 3128]],
              ['ssh', [22]],
              ['dns', [53]],
              ['smtp', [25, 587, 465]],
              ['ftp', [21]],
              ['smb', [445, 139]],
              ['quic', [443]],
            ] as const
          ).map(([proto, ports]) => [proto, list(`usual ${proto} ports`, port('port'), [...ports], { uniqueItems: true })]),
        ),
      ),
      sustained: unit('a flow segment at least this long counts as "sustained" (connection_pattern)', dur({ min: '1s', max: '1d' }), '10m'),
    }),
    intel: section('threat intelligence and GeoIP', {
      feeds: list(
        'IOC feeds: IPv4, IPv6, CIDR and domain indicators, one per line (plain) or CSV',
        entry(
          'an IOC feed',
          {
            name: unit('unique feed name, shown in matches', { kind: 'name' }),
            kind: oneOf('c2 (command and control), tidb (high-confidence), repdb (reputation with categories)', ['c2', 'tidb', 'repdb']),
            path: unit('feed file', { kind: 'path' }),
            format: oneOf('plain (one indicator per line) or csv (indicator,category,actor)', ['plain', 'csv'], 'plain'),
            category: str('category for lines that give none (repdb: paste-site, file-sharing, ...)', undefined, { minLength: 1 }),
            enabled: bool('load this feed', true),
          },
          ['name', 'kind', 'path'],
        ),
        [],
      ),
      watch: bool('reload feeds when their files change (atomic swap)', true),
      geoip: section('GeoIP/ASN databases (mmdb); null = the embedded default database', {
        country_db: unit('country mmdb, e.g. GeoLite2-Country.mmdb', { kind: 'path' }, null),
        asn_db: unit('ASN mmdb, e.g. GeoLite2-ASN.mmdb', { kind: 'path' }, null),
      }),
    }),
    allowlist: list(
      'suppressions: a matching group raises no alert but is still counted (shadow accounting); every entry needs a reason, an owner and at least one scope key',
      entry(
        'a suppression; scope keys that are given must all match',
        {
          name: unit('optional label for reports (default "allowlist[N]")', { kind: 'name' }),
          reason: str('why this traffic is allowed', undefined, { minLength: 1 }),
          owner: str('who answers for it', undefined, { minLength: 1 }),
          expires_at: unit('ISO-8601 date (00:00 UTC that day) or date-time with offset; omitted = permanent', { kind: 'timestamp' }),
          src: cidrs('source host or subnet, or a list of them'),
          dest: cidrs('destination host or subnet, or a list of them'),
          dest_domain_regex: unit('regex on the destination SNI / DNS name, case-insensitive, at most 200 characters', { kind: 'regex' }),
          port: {
            type: ['integer', 'array'],
            description: 'destination port, or a list of them',
            minimum: 0,
            maximum: 65535,
            items: port('port'),
            minItems: 1,
            uniqueItems: true,
            unit: { kind: 'ports' },
          },
          app_proto: oneOf('application protocol', APP_PROTOS),
        },
        ['reason', 'owner'],
      ),
      [],
    ),
    allowlist_expiry_warning: unit('warn (log and metric) this long before an allowlist entry expires', dur({ min: '0s', max: '365d' }), '7d'),
    transport: section('alert delivery: bounded queue -> disk spool -> batched msgpack POSTs', {
      queue: section('in-memory queue in front of the spool', {
        max_alerts: int('alerts held in memory before they go to the spool', 10_000, 1, 10_000_000),
      }),
      spool: section('segmented disk spool; whole segments are deleted once delivered', {
        path: unit('spool directory', { kind: 'path' }, '/var/lib/exfil-sensor/spool', { reloadable: false }),
        max_size: unit('cap on the spool; at the cap the oldest records are dropped, counted and logged', size('1 MiB'), '1 GiB'),
        segment_size: unit('size of one segment file (at most max_size)', size('64 KiB', '1 GiB'), '16 MiB'),
      }),
      batch: section('records per POST', {
        max_alerts: int('alerts per request', 500, 1, 100_000),
        max_size: unit('encoded bytes per request', size('1 KiB', '64 MiB'), '1 MiB'),
        max_age: unit('send a partial batch after this long', dur({ min: '1ms', max: '1h' }), '2s'),
      }),
      retry: section('retries of 408/429/5xx (not 501): capped exponential backoff with full jitter', {
        initial_backoff: unit('first backoff', dur({ min: '1ms', max: '1h' }), '500ms'),
        max_backoff: unit('backoff cap (at least initial_backoff)', dur({ min: '1ms', max: '1d' }), '1m'),
        max_retry_after: unit('longest Retry-After honoured; longer values are cut to this', dur({ min: '1s', max: '1d' }), '10m'),
      }),
      max_in_flight: int('concurrent requests to the collector', 2, 1, 64),
      request_timeout: unit('timeout of one request', dur({ min: '100ms', max: '10m' }), '30s'),
      encoding: oneOf('request body encoding (both are the same schema, docs/collector-api.md)', ['msgpack', 'json'], 'msgpack'),
      send_windows: bool('also send every window aggregate (the collector keeps them for 7-day baselines across sensors); alerts are always sent', true),
      drain_timeout: unit('at the end of a replay (or on shutdown), how long to wait for the spool to drain; what is left goes on the next start', dur({ min: '0s', max: '1d' }), '30s'),
      quarantine_max_size: unit('cap on <spool>/quarantine.jsonl (records the collector refused); beyond it the file is rotated to .1 and the previous .1 deleted, counted and logged', size('64 KiB', '64 GiB'), '64 MiB'),
      suppressions: section('suppressions created on the collector, pulled by the sensor', {
        pull_interval: unit('pull interval (also pulled on start); 0s = never', dur({ min: '0s', max: '1d' }), '5m'),
      }),
    }),
    metrics: section('Prometheus metrics endpoint', {
      listen: unit('address of the Prometheus /metrics endpoint of live capture (a replay serves one only with --metrics ADDR); null = off', { kind: 'listen' }, '127.0.0.1:9187', { reloadable: false }),
    }),
    logging: section('pino JSON logs on stderr (EXFIL_SENSOR_LOG_LEVEL overrides)', {
      level: oneOf('log level', LOG_LEVELS, 'info'),
    }),
    outputs: section('local outputs (--eve / --alerts override the paths)', {
      eve: section('EVE JSON lines', {
        path: unit('file to append to, "-" = stdout; null = off', { kind: 'path' }, null, { reloadable: false }),
        types: { ...list('event types written', oneOf('event type', EVE_TYPES), [...EVE_TYPES]), uniqueItems: true, minItems: 1 },
      }),
      alerts: section('alert JSON lines', {
        path: unit('file to append to, "-" = stdout; null = off', { kind: 'path' }, null, { reloadable: false }),
      }),
    }),
  },
};

/** Key paths (YAML spelling) that cannot change on a live reload: a change needs a restart. */
export const NON_RELOADABLE_KEYS: readonly string[] = (() => {
  const out: string[] = [];
  const walk = (node: SchemaNode, path: string): void => {
    if (node.reloadable === false) {
      out.push(path);
      return;
    }
    for (const [k, child] of Object.entries(node.properties ?? {})) walk(child, path ? `${path}.${k}` : k);
  };
  walk(SENSOR_CONFIG_SCHEMA, '');
  return out;
})();
