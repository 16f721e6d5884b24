import { it } from 'vitest';
import path from 'node:path';
import { replayToEve, CORPUS } from '/work/main/test/helpers/corpus.js';
it('dump', async () => {
  for (const p of (process.env.PCAPS ?? '').split(',')) {
    const r = await replayToEve([path.join(CORPUS, 'zeek/pcaps', p)], {});
    { const c = r.summary.counters as any; console.log("== " + p + " pk=" + r.summary.packets + " " + Object.entries(c).filter(([k,v]) => (k.startsWith("decode_stop") || k.startsWith("untracked")) && v).map(([k,v]) => k+"="+v).join(" ")); }
    for (const f of r.flows) console.log([f.proto, f.src_ip, f.src_port, f.dest_ip, f.dest_port, "pk", f.flow.pkts_toserver, f.flow.pkts_toclient, "ipb", f.flow.ip_bytes_toserver, f.flow.ip_bytes_toclient, "b", f.flow.bytes_toserver, f.flow.bytes_toclient].join(" "));
  }
});
