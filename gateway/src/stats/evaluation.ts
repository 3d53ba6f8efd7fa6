/**
 * Wires the evaluation feature into a gateway: the statistics/baseline/report HTTP routes and the
 * episode builder (stopped when the HTTP server closes). Devices' reports: device-reports.ts.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../logger.ts';
import { createEpisodeBuilder } from './episode-builder.ts';
import { registerStatsRoutes, type StatsRouteDeps } from './stats-routes.ts';

export interface EvaluationDeps extends StatsRouteDeps {
  app: FastifyInstance;
  log: Logger;
}

export function registerEvaluation(deps: EvaluationDeps): void {
  registerStatsRoutes(deps);
  const builder = createEpisodeBuilder({
    pool: deps.db.pool,
    log: deps.log.child({ mod: 'episodes' }),
    quietMs: deps.config.EPISODE_QUIET_S * 1000,
    intervalMs: deps.config.EPISODE_BUILD_MS,
  });
  deps.app.addHook('onClose', () => builder.stop());
}
