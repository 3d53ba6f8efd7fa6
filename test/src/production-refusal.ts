/**
 * Starts a gateway in production mode against the test stack's Redis and a given database
 * connection, only to see whether it refuses to start. Everything else is configured as production
 * requires (secure cookies, a trusted proxy, HSM tokens), so a refusal is about the
 * connection: a superuser, an owner of the audit tables, demo users in the database.
 */
import { GATEWAY_ENTRY } from '@lagebild/infra/paths';
import { spawnService } from '@lagebild/infra/process';
import type { Stack } from './stack.ts';

/** the refusal's message, or null when the gateway started (it is stopped again at once) */
export function productionRefusal(stack: Stack, databaseUrl: string): Promise<string | null> {
  return spawnService({
    name: 'gateway-production',
    entry: GATEWAY_ENTRY,
    env: {
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: databaseUrl,
      REDIS_URL: stack.redis.url,
      LAGEBILD_ENV: 'production',
      COOKIE_SECURE: 'true',
      TRUST_PROXY: '127.0.0.1',
      // keys in tokens (issue 13), the checkpoint key in the gateway's own; the database is refused
      // before a token is opened
      HSM_TOKEN_LABEL: 'lagebild',
      HSM_PIN_FILE: '/nonexistent/hsm.pin',
      HSM_SIGNING_TOKEN_LABEL: 'lagebild-gateway',
      HSM_SIGNING_PIN_FILE: '/nonexistent/gateway.pin',
      // checkpoints anchored outside the database (issue 13)
      TSA_URL: stack.tsa.url,
      AUDIT_ANCHOR_DIR: stack.anchorDir,
      LOG_LEVEL: 'warn',
    },
    readyTimeoutMs: 20_000,
  }).then(
    async (svc) => {
      await svc.stop();
      return null;
    },
    (e: Error) => e.message,
  );
}
