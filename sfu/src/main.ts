/** SFU process entry: config from the environment, listen, graceful shutdown on SIGTERM/SIGINT. */
import { buildSfu, loadConfig } from './app.ts';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
const sfu = await buildSfu(config);
// Every promise has an owner that catches (issue 11); this is the net under that rule, not a
// replacement for it. A rejection that escaped one (typically a mediasoup call on an object that
// closed meanwhile) is a bug to fix, but it must not end every live stream and recording of the
// node: it is logged at error level, which the integration tests look for.
process.on('unhandledRejection', (err) => {
  sfu.log.error({ err }, 'unhandled rejection (a bug: this promise needs an owner)');
});
const address = await sfu.listen();
sfu.log.info({ address, workers: sfu.pool.slots.map((s) => s.worker.pid) }, 'sfu listening');
// A line on stdout that parent processes (npm start, tests) wait for.
process.stdout.write(
  `${JSON.stringify({ msg: 'ready', address, pid: process.pid, workerPids: sfu.pool.slots.map((s) => s.worker.pid) })}\n`,
);
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    sfu.log.info({ sig }, 'shutting down');
    sfu.close().then(
      () => process.exit(0),
      (err) => {
        sfu.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
