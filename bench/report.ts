/**
 * The combined benchmark report (`npm run bench`, i.e. replay.ts --report): issue 7's targets
 * with PASS/MISS and by how much, cost against capture size (linearity), charts, and the
 * flood / micro / profile results when they have been run. Pure formatting of measured numbers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fixed, jsonRound, linearFit } from './common.js';
import type { ScaleReport, ToolResult } from './replay.js';
import { barChart, lineChart } from './svg.js';

export interface TargetLine {
  scale: number | null;
  target: string;
  status: 'PASS' | 'MISS' | 'n/a';
  measured: string;
  by: string;
}

const byId = (rep: ScaleReport, id: string): ToolResult | undefined => rep.results.find((r) => r.id === id && r.ok);

function ratioTarget(scale: number, text: string, tool: ToolResult | undefined, floor: ToolResult | undefined, limit: number): TargetLine {
  if (!tool?.wall_median_s || !floor?.wall_median_s) {
    return { scale, target: text, status: 'n/a', measured: `${tool ? '' : 'tool '}${floor ? '' : 'floor '}not measured`.trim(), by: '' };
  }
  const x = tool.wall_median_s / floor.wall_median_s;
  const self = tool.self_median_s !== null ? tool.self_median_s / floor.wall_median_s : null;
  const pass = x <= limit;
  return {
    scale,
    target: text,
    status: pass ? 'PASS' : 'MISS',
    measured:
      `${x.toFixed(2)}x floor(read) (${tool.wall_median_s.toFixed(3)} s vs ${floor.wall_median_s.toFixed(3)} s; replay's own time ${fixed(self, 2)}x; ` +
      `CPU ${fixed(tool.cpu_median_s, 2)} s vs ${fixed(floor.cpu_median_s, 2)} s = ${tool.cpu_median_s !== null && floor.cpu_median_s ? (tool.cpu_median_s / floor.cpu_median_s).toFixed(1) : 'n/a'}x)`,
    by: pass ? `${((1 - x / limit) * 100).toFixed(0)}% under the limit` : `${(x / limit).toFixed(2)}x over: needs ${(x / limit).toFixed(2)}x the speed (${(tool.wall_median_s - floor.wall_median_s * limit).toFixed(2)} s less)`,
  };
}

function fasterThan(scale: number, peerId: string, peerName: string, reps: ScaleReport): TargetLine {
  const peer = byId(reps, peerId);
  const cands = ['pipeline-w1', 'pipeline-w2'].map((id) => byId(reps, id)).filter((r): r is ToolResult => !!r?.wall_median_s);
  const text = `full pipeline faster than ${peerName} (same run)`;
  if (!peer?.wall_median_s || cands.length === 0) {
    const skipped = reps.skipped.find((s) => s.tool.startsWith(peerName));
    return { scale, target: text, status: 'n/a', measured: peer ? 'pipeline not measured' : `${peerName} ${skipped ? `skipped (${skipped.reason})` : 'not measured'}`, by: '' };
  }
  const best = cands.sort((a, b) => a.wall_median_s! - b.wall_median_s!)[0]!;
  const x = best.wall_median_s! / peer.wall_median_s;
  return {
    scale,
    target: text,
    status: x < 1 ? 'PASS' : 'MISS',
    measured: `${best.label.replace('exfil-sensor replay, full pipeline, ', '')} ${best.wall_median_s!.toFixed(3)} s vs ${peer.wall_median_s.toFixed(3)} s (CPU ${fixed(best.cpu_median_s, 2)} vs ${fixed(peer.cpu_median_s, 2)} s)`,
    by: x < 1 ? `${((1 - x) * 100).toFixed(0)}% faster` : `${x.toFixed(2)}x slower`,
  };
}

export function issueTargets(reps: ScaleReport[]): TargetLine[] {
  const out: TargetLine[] = [];
  for (const rep of reps) {
    const scale = rep.capture.scale;
    const fr = byId(rep, 'floor-read');
    out.push(ratioTarget(scale, 'full pipeline, 1 worker: wall <= 4x floor(read)', byId(rep, 'pipeline-w1'), fr, 4));
    out.push(ratioTarget(scale, 'full pipeline, 2 workers: wall <= 2.5x floor(read)', byId(rep, 'pipeline-w2'), fr, 2.5));
    const p2 = byId(rep, 'pipeline-w2');
    if (p2?.packets_per_s) {
      const ok = p2.packets_per_s >= 3e6;
      out.push({
        scale,
        target: 'full pipeline, 2 workers: >= 3 Mpps',
        status: ok ? 'PASS' : 'MISS',
        measured: `${(p2.packets_per_s / 1e6).toFixed(3)} Mpps`,
        by: ok ? `${((p2.packets_per_s / 3e6 - 1) * 100).toFixed(0)}% above` : `needs ${(3e6 / p2.packets_per_s).toFixed(2)}x`,
      });
    }
    out.push(fasterThan(scale, 'peer-softflowd', 'softflowd', rep));
    out.push(fasterThan(scale, 'peer-ndpiReader', 'ndpiReader', rep));
    if (Math.abs(scale - 0.05) < 1e-9) {
      const rss = ['pipeline-w1', 'pipeline-w2'].map((id) => byId(rep, id)?.peak_rss_mib).filter((x): x is number => typeof x === 'number');
      if (rss.length > 0) {
        const m = Math.max(...rss);
        out.push({
          scale,
          target: 'peak RSS <= 200 MiB (full pipeline, 1 and 2 workers)',
          status: m <= 200 ? 'PASS' : 'MISS',
          measured: `${m.toFixed(0)} MiB`,
          by: m <= 200 ? `${(200 - m).toFixed(0)} MiB to spare` : `${(m - 200).toFixed(0)} MiB over (${(m / 200).toFixed(2)}x)`,
        });
      } else {
        out.push({ scale, target: 'peak RSS <= 200 MiB', status: 'n/a', measured: 'no RSS measured (GNU time missing?)', by: '' });
      }
    }
    if (rep.target.status !== 'n/a') {
      out.push({
        scale,
        target: 'flows only, 1 worker: >= 1/3 of floor packets/s (foundation issue)',
        status: rep.target.status,
        measured: `${fixed(rep.target.fraction_of_floor, 3)} of the floor`,
        by: rep.target.status === 'PASS' ? 'met' : `needs ${fixed(rep.target.ratio_to_target ? 1 / rep.target.ratio_to_target : null, 2)}x`,
      });
    }
  }
  return out;
}

export interface Linearity {
  tool: string;
  label: string;
  points: { scale: number; packets: number; wall_s: number; self_s: number | null; cpu_s: number | null; ns_per_packet_wall: number; ns_per_packet_self: number | null; ns_per_packet_cpu: number | null }[];
  fit: { fixed_s: number; ns_per_packet: number; r2: number } | null;
  /** Marginal ns/packet between consecutive sizes (wall). */
  marginal_ns: number[];
  linear: boolean | null;
}

export function linearity(reps: ScaleReport[]): Linearity[] {
  const ids = [...new Set(reps.flatMap((r) => r.results.map((t) => t.id)))];
  const out: Linearity[] = [];
  for (const id of ids) {
    const pts = reps
      .map((rep) => ({ rep, t: byId(rep, id) }))
      .filter((x): x is { rep: ScaleReport; t: ToolResult } => !!x.t?.wall_median_s)
      .map(({ rep, t }) => {
        const n = rep.capture.packets;
        return {
          scale: rep.capture.scale,
          packets: n,
          wall_s: t.wall_median_s!,
          self_s: t.self_median_s,
          cpu_s: t.cpu_median_s,
          ns_per_packet_wall: (t.wall_median_s! / n) * 1e9,
          ns_per_packet_self: t.self_median_s !== null ? (t.self_median_s / n) * 1e9 : null,
          ns_per_packet_cpu: t.cpu_median_s !== null ? (t.cpu_median_s / n) * 1e9 : null,
        };
      })
      .sort((a, b) => a.packets - b.packets);
    if (pts.length === 0) continue;
    const label = reps.flatMap((r) => r.results).find((t) => t.id === id)!.label;
    const fit = pts.length >= 2 ? linearFit(pts.map((p) => p.packets), pts.map((p) => p.wall_s)) : null;
    const marginal: number[] = [];
    for (let i = 1; i < pts.length; i++) marginal.push(((pts[i]!.wall_s - pts[i - 1]!.wall_s) / (pts[i]!.packets - pts[i - 1]!.packets)) * 1e9);
    // Linear: the marginal cost per packet does not grow by more than 30% from the smaller
    // sizes to the larger ones (fixed start-up cost cancels out in the differences).
    const linear = marginal.length >= 2 ? Math.max(...marginal) / Math.max(1e-9, Math.min(...marginal)) <= 1.3 : null;
    out.push({ tool: id, label, points: pts, fit: fit ? { fixed_s: fit.intercept, ns_per_packet: fit.slope * 1e9, r2: fit.r2 } : null, marginal_ns: marginal, linear });
  }
  return out;
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function floodTargets(outDir: string): { lines: TargetLine[]; when: string | null } {
  const j = readJson(path.join(outDir, 'flood.json')) as {
    started?: string;
    inproc?: { bytes_per_flow_total: number | null; growth_after_memcap: number | null; flat: boolean | null };
    cli?: { growth_second_half: number | null; flat: boolean | null; rss_peak_mib: number } | null;
  } | null;
  if (!j?.inproc) return { lines: [], when: null };
  const b = j.inproc.bytes_per_flow_total;
  const lines: TargetLine[] = [
    {
      scale: null,
      target: 'flood: <= 200 bytes per tracked flow',
      status: b === null ? 'n/a' : b <= 200 ? 'PASS' : 'MISS',
      measured: `${fixed(b, 0)} bytes (RSS growth / flows tracked at the memcap, one engine)`,
      by: b === null ? '' : b <= 200 ? `${(200 - b).toFixed(0)} bytes to spare` : `${(b - 200).toFixed(0)} bytes over (${(b / 200).toFixed(2)}x)`,
    },
    {
      scale: null,
      target: 'flood: RSS flat once the memcap is reached',
      status: j.inproc.flat === null ? 'n/a' : j.inproc.flat ? 'PASS' : 'MISS',
      measured: `engine: +${fixed((j.inproc.growth_after_memcap ?? NaN) * 100, 1)}% after the memcap; whole process: +${fixed((j.cli?.growth_second_half ?? NaN) * 100, 1)}% over the second half (peak ${fixed(j.cli?.rss_peak_mib, 0)} MiB)`,
      by: j.inproc.flat ? 'within 5%' : 'grows more than 5%',
    },
  ];
  return { lines, when: j.started ?? null };
}

export function writeReport(reps: ScaleReport[], perScaleMd: string[], outDir: string): { md: string; files: string[] } {
  const targets = issueTargets(reps);
  const flood = floodTargets(outDir);
  targets.push(...flood.lines);
  const lin = linearity(reps);
  const main = lin.find((l) => l.tool === 'pipeline-w1');
  if (main && main.linear !== null) {
    targets.push({
      scale: null,
      target: 'cost grows linearly with capture size (full pipeline, 1 worker)',
      status: main.linear ? 'PASS' : 'MISS',
      measured: `marginal ${main.marginal_ns.map((x) => x.toFixed(0)).join(' -> ')} ns/packet between sizes; fit ${fixed(main.fit?.ns_per_packet, 0)} ns/packet + ${fixed(main.fit?.fixed_s, 2)} s fixed, r² ${fixed(main.fit?.r2, 4)}`,
      by: main.linear ? 'marginal cost within 1.3x across sizes' : `marginal cost varies ${(Math.max(...main.marginal_ns) / Math.min(...main.marginal_ns)).toFixed(2)}x`,
    });
  }

  // Charts
  const tools = [...new Map(reps.flatMap((r) => r.results.map((t) => [t.id, t.label] as const))).entries()];
  const scales = reps.map((r) => r.capture.scale);
  const bars = barChart({
    title: 'Whole-process replay: packets/s (median wall), higher is better',
    xLabel: 'million packets per second',
    series: scales.map((s) => `-s ${s}`),
    groups: tools.map(([id, label]) => ({
      label: label.replace('exfil-sensor replay, ', 'ours: '),
      values: reps.map((r) => {
        const t = byId(r, id);
        return t?.packets_per_s ? t.packets_per_s / 1e6 : null;
      }),
    })),
    refLines: [{ value: 3, label: 'target 3 Mpps (2 workers)' }],
  });
  const lines = lineChart({
    title: 'Cost against capture size: median wall seconds',
    xLabel: 'packets in the capture',
    yLabel: 'wall s',
    markers: true,
    series: lin.filter((l) => l.points.length >= 2).map((l) => ({ label: l.label.replace('exfil-sensor replay, ', ''), points: l.points.map((p) => [p.packets, p.wall_s] as [number, number]) })),
  });
  fs.writeFileSync(path.join(outDir, 'report.svg'), bars);
  fs.writeFileSync(path.join(outDir, 'linearity.svg'), lines);

  const first = reps[0]!;
  const loaded = reps.some((r) => r.host.loadavg_start[0]! > 0.5 || r.notes.some((n) => n.includes('shared the machine')));
  const md: string[] = [
    '# Benchmark report',
    '',
    `${first.started} to ${reps[reps.length - 1]!.finished} · commit ${first.git.commit?.slice(0, 12) ?? 'unknown'}${first.git.dirty ? ' (dirty tree)' : ''} · ${first.settings.runs} runs each (median, min-max), interleaved · timer: ${first.settings.timer}`,
    '',
    `- host: ${first.host.cpu}, ${first.host.cpus} CPUs, ${first.host.mem_gib} GiB, Linux ${first.host.kernel}, Node ${first.host.node}`,
    `- load average at the start of each scale: ${reps.map((r) => `-s ${r.capture.scale}: ${r.host.loadavg_start.map((l) => l.toFixed(2)).join('/')}`).join('; ')}`,
    '',
  ];
  if (loaded) {
    md.push(
      '> **Measured under load**: other engineers were building and testing on this 2-core machine during the run',
      '> (see the load averages above and the per-scale notes on runs that shared the machine). Wall times and',
      '> ratios are noisy; CPU seconds are less affected. Compare within one run, not across runs.',
      '',
    );
  }
  md.push('## Targets (issue 7)', '', '| scale | target | status | measured | by how much |', '|---|---|---|---|---|');
  for (const t of targets) md.push(`| ${t.scale ?? ''} | ${t.target} | **${t.status}** | ${t.measured.replace(/\|/g, '\\|')} | ${t.by} |`);
  md.push('');
  if (flood.when) md.push(`Flood targets from bench/results/flood.md (${flood.when}).`, '');
  md.push('![packets per second by tool and size](report.svg)', '');
  md.push('## Cost against capture size', '', '| tool | ' + scales.map((s) => `-s ${s} ns/packet wall (self, CPU)`).join(' | ') + ' | marginal ns/packet | fit: fixed s + ns/packet (r²) | linear |', `|---|${scales.map(() => '---:').join('|')}|---|---|---|`);
  for (const l of lin) {
    const cells = scales.map((s) => {
      const p = l.points.find((x) => x.scale === s);
      return p ? `${p.ns_per_packet_wall.toFixed(0)} (${fixed(p.ns_per_packet_self, 0)}, ${fixed(p.ns_per_packet_cpu, 0)})` : 'n/a';
    });
    md.push(
      `| ${l.label} | ${cells.join(' | ')} | ${l.marginal_ns.map((x) => x.toFixed(0)).join(' -> ') || 'n/a'} | ${l.fit ? `${l.fit.fixed_s.toFixed(2)} + ${l.fit.ns_per_packet.toFixed(0)} (${l.fit.r2.toFixed(4)})` : 'n/a'} | ${l.linear === null ? 'n/a' : l.linear ? 'yes' : 'no'} |`,
    );
  }
  md.push(
    '',
    'ns/packet = median seconds / packets. "self" is the tool\'s own timing (replay: file open to last flow, without Node start-up); CPU is user+sys of the whole process. Marginal = extra wall per extra packet between consecutive sizes (start-up cancels out); linear when it varies by at most 1.3x.',
    '',
    '![wall seconds against packets](linearity.svg)',
    '',
  );
  for (const [name, title] of [
    ['flood.md', 'Flow flood'],
    ['micro.md', 'Micro-benchmarks'],
    ['profile.md', 'Where the time goes (profiles)'],
    ['findings.md', 'Findings: what the misses come from (written by hand from the profiles)'],
  ] as const) {
    if (fs.existsSync(path.join(outDir, name))) md.push(`- ${title}: [${name}](${name})`);
  }
  md.push('', '## Per scale', '');
  for (const s of perScaleMd) md.push(s.replace(/^# /m, '### ').replace(/^Columns: see bench\/README\.md.*$/m, ''), '');
  md.push('Columns: see bench/README.md. Raw samples: report.json and replay-<scale>.json.', '');
  const text = md.join('\n');
  fs.writeFileSync(path.join(outDir, 'report.md'), text);
  fs.writeFileSync(path.join(outDir, 'report.json'), `${JSON.stringify({ schema: 'exfil-sensor/bench-report/1', targets, linearity: lin, scales: reps }, jsonRound, 1)}\n`);
  return { md: text, files: ['report.md', 'report.json', 'report.svg', 'linearity.svg'].map((f) => path.join(outDir, f)) };
}
