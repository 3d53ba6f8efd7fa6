/** SFU process entry: the kit's service frame (config, listen, ready line, graceful shutdown). */
import { runService } from '@lagebild/service-kit';
import { buildSfu, loadConfig } from './app.ts';

await runService({
  name: 'sfu',
  loadConfig: () => loadConfig(process.env),
  build: (config) => buildSfu(config),
  ready: (sfu) => ({ workerPids: sfu.pool.slots.map((s) => s.worker.pid) }),
});
