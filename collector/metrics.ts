/** Prometheus text exposition of the collector's counters (no client library needed for a few counters). */
export class Metrics {
  readonly #counters = new Map<string, { help: string; values: Map<string, number> }>();
  readonly #gauges = new Map<string, { help: string; read: () => number }>();

  counter(name: string, help: string): void {
    if (!this.#counters.has(name)) this.#counters.set(name, { help, values: new Map() });
  }

  gauge(name: string, help: string, read: () => number): void {
    this.#gauges.set(name, { help, read });
  }

  inc(name: string, labels: Record<string, string | number> = {}, by = 1): void {
    const c = this.#counters.get(name);
    if (!c) throw new Error(`metric ${name} is not declared`);
    const key = Object.entries(labels)
      .map(([k, v]) => `${k}="${String(v).replace(/["\\\n]/g, (ch) => (ch === '\n' ? '\\n' : `\\${ch}`))}"`)
      .join(',');
    c.values.set(key, (c.values.get(key) ?? 0) + by);
  }

  get(name: string, labels: Record<string, string | number> = {}): number {
    const key = Object.entries(labels).map(([k, v]) => `${k}="${String(v)}"`).join(',');
    return this.#counters.get(name)?.values.get(key) ?? 0;
  }

  render(): string {
    const out: string[] = [];
    for (const [name, c] of this.#counters) {
      out.push(`# HELP ${name} ${c.help}`, `# TYPE ${name} counter`);
      if (c.values.size === 0) out.push(`${name} 0`);
      for (const [k, v] of c.values) out.push(k ? `${name}{${k}} ${v}` : `${name} ${v}`);
    }
    for (const [name, g] of this.#gauges) out.push(`# HELP ${name} ${g.help}`, `# TYPE ${name} gauge`, `${name} ${g.read()}`);
    return `${out.join('\n')}\n`;
  }
}

export function collectorMetrics(): Metrics {
  const m = new Metrics();
  m.counter('exfil_collector_ingest_batches_total', 'ingest requests whose batch was decoded and authenticated');
  m.counter('exfil_collector_records_ingested_total', 'valid records received, by type (stored or duplicate)');
  m.counter('exfil_collector_records_stored_total', 'records stored for the first time, by type');
  m.counter('exfil_collector_records_duplicate_total', 'valid records already stored (re-sent alert ids, windows)');
  m.counter('exfil_collector_records_rejected_total', 'records rejected by validation, by code');
  m.counter('exfil_collector_ingest_shed_total', 'ingest requests refused with 503 because ingest.max_in_flight was reached');
  m.counter('exfil_collector_http_responses_total', 'HTTP responses by status code');
  m.counter('exfil_collector_retention_purged_total', 'rows removed by the retention purge, by table');
  return m;
}
