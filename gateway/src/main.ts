/** Gateway process entry: the kit's service frame (config, listen, ready line, graceful shutdown). */
import { runService } from '@lagebild/service-kit';
import { buildGateway, loadConfig } from './app.ts';

await runService({
  name: 'gateway',
  loadConfig: () => loadConfig(process.env),
  build: (config) => buildGateway(config),
});
