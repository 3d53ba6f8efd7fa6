/**
 * Drive N simulated devices (default 10,000) against a gateway URL and print the simulator's own
 * CPU and memory use next to its stats every 5 s, to check it scales from one process.
 *   node sim/bench/many-devices.ts <url> [devices] [seconds]
 * Device ids and secrets are synthetic: point it at sim/bench/fake-gateway.ts, not a real gateway.
 */
import { startSimulation } from '../src/index.ts';

const url = process.argv[2] ?? 'http://127.0.0.1:3999';
const n = Number(process.argv[3] ?? 10_000);
const seconds = Number(process.argv[4] ?? 60);
const devices = Array.from({ length: n }, (_, i) => ({
  deviceId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  secret: 'bench-secret-0123456789',
  city: i % 2 ? ('dortmund' as const) : ('duisburg' as const),
  initialSeq: 1,
}));
const sim = startSimulation({ url, devices, rateHz: 1, seed: 1, behaviour: 'realistic', timeScale: 10 });
let lastCpu = process.cpuUsage();
let lastAt = Date.now();
const timer = setInterval(() => {
  const cpu = process.cpuUsage(lastCpu);
  const now = Date.now();
  const pct = ((cpu.user + cpu.system) / 1000 / (now - lastAt)) * 100;
  lastCpu = process.cpuUsage();
  lastAt = now;
  (globalThis as { gc?: () => void }).gc?.();
  const rssMb = Math.round(process.memoryUsage().rss / 1e6);
  const heapMb = Math.round(process.memoryUsage().heapUsed / 1e6);
  const s = sim.stats();
  console.log(
    `[bench] cpu ${pct.toFixed(0)}% · rss ${rssMb} MB · heap ${heapMb} MB · connected ${s.connected}/${s.devices} · acked ${s.acked} · buffered ${s.buffered} · retries ${s.retries}`,
  );
}, 5000);
setTimeout(async () => {
  clearInterval(timer);
  await sim.stop();
  console.log('[bench] done', JSON.stringify(sim.stats()));
  process.exit(0);
}, seconds * 1000);
