/**
 * A fault test's own gateway process on a stack, whose PostgreSQL and Redis URLs the test chooses
 * (through TCP proxies it controls), optionally inside a network namespace (`prefix`, listening on
 * `host`). It joins `stack.gateways`, so the stack stops it.
 */
import { GATEWAY_ENTRY } from '@lagebild/infra/paths';
import { freePort } from '@lagebild/infra/ports';
import { spawnService } from '@lagebild/infra/process';
import type { Stack } from '../stack.ts';
import { FAULT_GATEWAY_ENV } from './observe.ts';

export async function startGatewayVia(
  s: Stack,
  opts: { databaseUrl: string; redisUrl: string; host?: string; prefix?: string[]; instanceId?: string },
) {
  const host = opts.host ?? '127.0.0.1';
  const port = await freePort();
  const svc = await spawnService({
    name: `gateway-${opts.instanceId ?? 'gwp'}`,
    entry: GATEWAY_ENTRY,
    prefix: opts.prefix,
    env: {
      HOST: host,
      PORT: String(port),
      DATABASE_URL: opts.databaseUrl,
      REDIS_URL: opts.redisUrl,
      WEB_DIR: '',
      LOG_LEVEL: 'warn',
      INSTANCE_ID: opts.instanceId ?? 'gwp',
      ...FAULT_GATEWAY_ENV,
    },
  });
  const gw = Object.assign(svc, { port, url: `http://${host}:${port}` });
  s.gateways.push(gw);
  return gw;
}
