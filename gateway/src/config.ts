/**
 * Gateway configuration: parsed once from the environment with zod, frozen, passed down.
 * Nothing else reads process.env. A bad value stops the process before it listens, naming it.
 */
import { formatConfigError } from '@lagebild/service-kit';
import { MediaTokenSecrets } from '@lagebild/tokens';
import { HsmEnv, hsmIssues } from '@lagebild/vault';
import { z } from 'zod';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const GatewayEnv = z.object({
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z.string().url().startsWith('postgres'),
  REDIS_URL: z.string().url().startsWith('redis'),
  /** static export of the control room (web/out); empty = API only */
  WEB_DIR: z.string().default(''),
  TILE_URL: z.string().default(''),
  TILE_ATTRIBUTION: z.string().default('© OpenStreetMap contributors'),
  /** dashboards receive one batch per tenant per tick */
  COALESCE_MS: z.coerce.number().int().min(10).max(5000).default(100),
  SESSION_TTL_HOURS: z.coerce.number().min(0.1).max(72).default(12),
  /** Secure cookies: on behind TLS (production), off on http://127.0.0.1 */
  COOKIE_SECURE: bool.default(false),
  DEVICE_RATE_PER_S: z.coerce.number().min(1).max(10_000).default(50),
  DEVICE_RATE_BURST: z.coerce.number().int().min(1).max(100_000).default(300),
  /** status events waiting for PostgreSQL beyond this are refused (the device keeps them) */
  PERSIST_QUEUE_MAX: z.coerce.number().int().min(100).default(200_000),
  /** a commit waits this long for more events once one is queued (fewer, larger commits) */
  PERSIST_LINGER_MS: z.coerce.number().min(0).max(50).default(2),
  PERSIST_BATCH_MAX: z.coerce.number().int().min(1).max(20_000).default(2000),
  /**
   * commits in flight at once, each device always in the same one (status-persister.ts); more than
   * one only where PostgreSQL has cores to spare (docs/operations.md)
   */
  PERSIST_LANES: z.coerce.number().int().min(1).max(8).default(1),
  /** entries the Socket.IO Redis stream keeps (bounds memory and the recovery window) */
  REDIS_STREAM_MAXLEN: z.coerce.number().int().min(100).default(2000),
  RECOVERY_WINDOW_MS: z.coerce.number().int().min(0).default(120_000),
  /** an episode ends after this long back in standby (packages/stats/src/episodes.ts) */
  EPISODE_QUIET_S: z.coerce.number().int().min(1).max(3600).default(60),
  /** how often the episode builder derives new status events into episodes; 0 = never (tests) */
  EPISODE_BUILD_MS: z.coerce.number().int().min(0).max(600_000).default(2000),
  /** a unit not heard from for this long is not offered for dispatch */
  STALE_AFTER_S: z.coerce.number().min(5).max(3600).default(60),
  /** a unit en route within this distance of the incident is on scene */
  ON_SCENE_RADIUS_M: z.coerce.number().min(5).max(1000).default(50),
  /** how often the gateway checks Redis, PostgreSQL, the SFU and the recordings' disk and tells its
   * dashboards (the message is also their heartbeat: they show "reconnecting" after 2 s without one) */
  HEALTH_INTERVAL_MS: z.coerce.number().int().min(100).max(1000).default(500),
  /** a scraper's bearer token for GET /metrics (no session, so no database needed: the database alarm
   * stays readable while PostgreSQL is down); empty = admins' sessions only */
  METRICS_TOKEN: z.union([z.literal(''), z.string().min(24)]).default(''),
  /** the recordings component is degraded (disk_full) below this much free space in VAULT_DIR */
  RECORDINGS_MIN_FREE_MB: z.coerce.number().min(0).default(512),
  /** alert escalation and request timeouts are checked this often */
  SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(1000),
  /** HMAC secret(s) for live video tokens, shared with the SFU (comma list while rotating: the first
   * signs); empty = live video off (503) */
  MEDIA_TOKEN_SECRET: z
    .string()
    .default('')
    .pipe(z.union([z.literal('').transform((): string[] => []), MediaTokenSecrets])),
  /** the SFU's internal base URL, for proxying viewer signalling (/sfu/v1/…) */
  SFU_URL: z.string().default(''),
  /** WHIP base URL devices publish to (+ /<deviceId>), e.g. https://media.example.de/whip */
  SFU_WHIP_URL: z.string().default(''),
  /** encrypted recordings (issue #6): store folder, tenant keyring and the service's Ed25519 key;
   * without a keyring the recordings API answers 503, without a signing key an ephemeral one signs
   * audit checkpoints (fine for tests, not for production) */
  VAULT_DIR: z.string().default(''),
  /** development only (production refuses them): the JSON keyring and the PEM signing key */
  VAULT_KEYRING_FILE: z.string().default(''),
  VAULT_SIGNING_KEY_FILE: z.string().default(''),
  /**
   * issue 13: the PKCS#11 key token with the KEKs (HSM_TOKEN_LABEL, HSM_PIN_FILE; the SFU has it too)
   * and the gateway's own signing token (HSM_SIGNING_TOKEN_LABEL, HSM_SIGNING_PIN_FILE; only here)
   */
  ...HsmEnv.shape,
  /** how often the retention sweeper looks for expired recordings; 0 = never (tests drive it) */
  RETENTION_SWEEP_MS: z.coerce.number().int().min(0).max(86_400_000).default(60_000),
  /** how often audit payloads past the legal period are emptied (0 = never) */
  AUDIT_PRUNE_MS: z.coerce.number().int().min(0).max(86_400_000).default(3_600_000),
  /** expired sessions and disabled users' sessions are ended (sockets, SFU viewers) this often */
  SESSION_SWEEP_MS: z.coerce.number().int().min(0).max(60_000).default(2000),
  AUDIT_CHECKPOINT_EVERY: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  /** issue 13: a checkpoint at least this often while entries arrive (the gateway alone signs them) */
  AUDIT_CHECKPOINT_MS: z.coerce.number().int().min(1000).max(86_400_000).default(600_000),
  /** how often the checkpoint job looks (signs when due, then time-stamps what waits); 0 = never */
  AUDIT_ANCHOR_MS: z.coerce.number().int().min(0).max(3_600_000).default(15_000),
  /** the RFC 3161 time-stamping authority (application/timestamp-query); a qualified one in production */
  TSA_URL: z.string().url().or(z.literal('')).default(''),
  /** the certificate of the TSA's CA (PEM), shipped in export bundles for `openssl ts -verify -CAfile` */
  TSA_CA_FILE: z.string().default(''),
  /** the append-only export target: checkpoints and their tokens, one JSON line each (WORM in production) */
  AUDIT_ANCHOR_DIR: z.string().default(''),
  /** failed logins of unknown usernames are audited per address and window of this length (issue 11) */
  LOGIN_UNKNOWN_WINDOW_S: z.coerce.number().int().min(1).max(86_400).default(600),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  INSTANCE_ID: z.string().default(''),
  /**
   * `production` refuses to start with demo users, throw-away keys, insecure cookies, a database
   * superuser or without TRUST_PROXY (docs/operations.md, "Deploying"); `development` is `npm start`.
   */
  LAGEBILD_ENV: z.enum(['development', 'production']).default('development'),
  /**
   * Who may set X-Forwarded-For/-Proto/-Host, so the audit log records the client's address rather
   * than the proxy's: `false` (no proxy, the default), `loopback`, or a comma list of addresses/CIDRs
   * of the TLS proxies in front. Passed to Fastify's `trustProxy`.
   */
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((v): boolean | string[] =>
      v === 'false' || v === ''
        ? false
        : v
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean),
    ),
  /** the origin(s) browsers use, e.g. https://lagebild.stadt.de (comma list); the Host header also counts */
  PUBLIC_ORIGIN: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().url())),
});

export type GatewayConfig = Readonly<z.infer<typeof GatewayEnv>>;

/** What production mode refuses that the configuration alone shows (the database is checked at start). */
function productionIssues(c: z.infer<typeof GatewayEnv>): { path: string; message: string }[] {
  if (c.LAGEBILD_ENV !== 'production') return [];
  const issues: { path: string; message: string }[] = [];
  if (!c.COOKIE_SECURE)
    issues.push({ path: 'COOKIE_SECURE', message: 'must be true in production (TLS in front)' });
  if (c.TRUST_PROXY === false)
    issues.push({
      path: 'TRUST_PROXY',
      message:
        'set it to the address(es) of the TLS proxy in front, so the audit log records client addresses',
    });
  // keys in a PKCS#11 token, never the development files, and no throw-away signing key (issue 13)
  // (the checks of every mode are reported by loadConfig already)
  const always = new Set(hsmIssues({ ...c, LAGEBILD_ENV: 'development' }).map((i) => i.path + i.message));
  issues.push(...hsmIssues(c, 'gateway').filter((i) => !always.has(i.path + i.message)));
  // checkpoints anchored outside the database (issue 13)
  if (!c.TSA_URL)
    issues.push({ path: 'TSA_URL', message: 'must name the RFC 3161 time-stamping authority in production' });
  if (!c.AUDIT_ANCHOR_DIR)
    issues.push({
      path: 'AUDIT_ANCHOR_DIR',
      message: 'must name the append-only (WORM) folder the audit checkpoints are exported to in production',
    });
  if (/:lagebild-local@/.test(c.DATABASE_URL))
    issues.push({
      path: 'DATABASE_URL',
      message: "is the embedded demo database's; use the production database",
    });
  if (/^postgres(ql)?:\/\/postgres[:@]/.test(c.DATABASE_URL))
    issues.push({
      path: 'DATABASE_URL',
      message: 'connects as the superuser `postgres`; use the application role',
    });
  return issues;
}

export function loadConfig(env: Record<string, string | undefined>): GatewayConfig {
  const parsed = GatewayEnv.superRefine((c, ctx) => {
    for (const i of hsmIssues({ ...c, LAGEBILD_ENV: 'development' }))
      ctx.addIssue({ code: 'custom', path: [i.path], message: i.message });
    for (const i of productionIssues(c)) ctx.addIssue({ code: 'custom', path: [i.path], message: i.message });
  }).safeParse(env);
  if (!parsed.success) throw formatConfigError('gateway', parsed.error);
  return Object.freeze(parsed.data);
}
