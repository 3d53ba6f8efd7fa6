/** Gateway process entry: config from the environment, listen, graceful shutdown on SIGTERM/SIGINT. */
import { buildGateway, loadConfig } from './app.ts';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
let gw: Awaited<ReturnType<typeof buildGateway>>;
let address: string;
try {
  gw = await buildGateway(config);
  address = await gw.listen();
} catch (err) {
  // a refusal (production checks) or an unreachable dependency: one clear line, no stack, exit 2
  console.error(`gateway could not start: ${(err as Error).message}`);
  process.exit(2);
}
gw.log.info({ address }, 'gateway listening');
// A line on stdout that parent processes (npm start, tests) wait for.
process.stdout.write(`${JSON.stringify({ msg: 'ready', address, pid: process.pid })}\n`);
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    gw.log.info({ sig }, 'shutting down');
    gw.close().then(
      () => process.exit(0),
      (err) => {
        gw.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
