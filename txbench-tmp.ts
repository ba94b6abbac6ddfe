import { mkdtempSync } from 'node:fs';
import { createTxLog } from '/work/main/gateway/txlog/index.ts';
const dir = mkdtempSync('/tmp/txb-');
const window = Number(process.env.WIN ?? 0);
const log = await createTxLog({ kind: 'sqlite', dataDir: dir, peerId: '00000000000000000001', groupCommitWindowMs: window, headIntervalMs: 0 });
let n = 0; let id = 0;
const uuid = () => { id++; const h = id.toString(16).padStart(12, '0'); return `0190aaaa-bbbb-7ccc-8ddd-${h}`; };
const rec = (tx: string) => ({ transaction_id: tx, direction: 'DIRECTION_OUTGOING' as const, grant_hash: '$1$3$' + 'a'.repeat(86), source: { type: 'SOURCE_TYPE_SOURCE' as const, outway_peer_id: '00000000000000000002' }, destination: { type: 'DESTINATION_TYPE_DESTINATION' as const, service_peer_id: '00000000000000000003' }, service_name: 'bench', created_at: Math.floor(Date.now() / 1000), trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16) });
const deadline = performance.now() + 5000;
const before = log.stats(); const c0 = process.cpuUsage();
async function worker() { while (performance.now() < deadline) { const tx = uuid(); await log.write(rec(tx)); void log.writeCompletion({ transaction_id: tx, direction: 'DIRECTION_OUTGOING', status: 200, duration_ms: 1 }); n++; await new Promise((r) => setImmediate(r)); } }
await Promise.all(Array.from({ length: Number(process.env.CONC ?? 50) }, worker));
const c = process.cpuUsage(c0); const s = log.stats();
console.log(`win ${window} conc ${process.env.CONC ?? 50}: ${(n / 5).toFixed(0)} calls/s, cpu µs/call ${((c.user + c.system) / n).toFixed(0)}, entries/commit ${((s.entries - before.entries) / (s.commits - before.commits)).toFixed(1)}`);
await log.close();
