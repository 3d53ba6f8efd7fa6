/**
 * The device side of `npm run bench:status`, in its own process so it does not share a core's
 * event loop with the measuring dashboard. Drives the given cameras with the simulator in 'steady'
 * mode at --rate Hz, waits until every device is connected (the simulator ramps up), makes every
 * device change stage every --stage-every seconds (staggered), and prints its counters as one JSON
 * line when it stops (SIGTERM or --duration elapsed after the ramp).
 */
import { readFile } from 'node:fs/promises';
import { startSimulation } from '@lagebild/sim';
import { z } from 'zod';
import { parseArgs } from './args.ts';

const Args = z.object({
  /** one gateway's URL, or several separated by commas: the devices are spread over them */
  url: z
    .string()
    .transform((s) => s.split(','))
    .pipe(z.array(z.string().url()).min(1)),
  credentials: z.string(),
  rate: z.coerce.number().positive().default(1),
  duration: z.coerce.number().positive(),
  'stage-every': z.coerce.number().positive().default(20),
  /** statuses awaiting an ack at once per device; order is kept by the connection either way */
  'in-flight': z.coerce.number().int().min(1).max(100).default(1),
  transport: z.enum(['websocket', 'socket.io']).default('websocket'),
});
const args = parseArgs(
  Args,
  'status-driver.ts --url URL --credentials FILE --duration S [--rate 1] [--stage-every 20] [--in-flight 1] [--transport websocket]',
);
const devices = JSON.parse(await readFile(args.credentials, 'utf8')) as Array<{
  deviceId: string;
  secret: string;
  label: string;
  city: 'duisburg' | 'dortmund';
}>;

// one simulation per gateway, each with its share of the devices (device i → gateway i mod n) and
// of the connection ramp, so the fleet connects as fast in all as it would to one gateway
const sims = args.url.map((url, g) =>
  startSimulation({
    url,
    devices: devices.filter((_, i) => i % args.url.length === g),
    rateHz: args.rate,
    behaviour: 'steady',
    transport: args.transport,
    maxInFlight: args['in-flight'],
    seed: 1 + g,
    connectPerSecond: 500 / args.url.length,
  }),
);
const sim = {
  devices: sims.flatMap((s) => s.devices),
  stats: () => {
    const all = sims.map((s) => s.stats());
    const total = { ...all[0]! };
    for (const st of all.slice(1))
      for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += st[k];
    return total;
  },
  stop: async () => {
    await Promise.all(sims.map((s) => s.stop()));
  },
};
// the simulator ramps connections up (500/s by default); measure the steady state, not the ramp
const rampDeadline = Date.now() + 180_000;
const connectedCount = () => sim.devices.reduce((n, d) => n + (d.connected ? 1 : 0), 0);
while (connectedCount() < devices.length && Date.now() < rampDeadline) {
  await new Promise((r) => setTimeout(r, 100));
}
process.stdout.write(
  `${JSON.stringify({ msg: 'ready', devices: devices.length, connected: connectedCount(), acked: sim.stats().acked })}\n`,
);

// Stage changes, spread evenly: each tick flips the next slice of devices display <-> standby.
let stageChangesSent = 0;
const tickMs = 100;
const perTick = Math.max(1, Math.round((devices.length / args['stage-every']) * (tickMs / 1000)));
let cursor = 0;
const flipper = setInterval(() => {
  for (let i = 0; i < perTick; i++) {
    const d = sim.devices[cursor++ % sim.devices.length]!;
    if (!d.connected) continue; // a device that lost its connection keeps its stage until it is back
    d.setStage(d.state.stage === 'standby' ? 'display' : 'standby');
    stageChangesSent++;
  }
}, tickMs);

let finished = false;
async function finish() {
  if (finished) return;
  finished = true;
  clearInterval(flipper);
  // let the outboxes drain so every sent event has its ack counted
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && sim.stats().buffered > 0) await new Promise((r) => setTimeout(r, 100));
  const stats = sim.stats();
  await sim.stop();
  process.stdout.write(`${JSON.stringify({ msg: 'result', stageChangesSent, ...stats })}\n`);
  process.exit(0);
}
setTimeout(finish, args.duration * 1000);
process.once('SIGTERM', finish);
process.once('SIGINT', finish);
