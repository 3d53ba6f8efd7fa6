/**
 * SFU configuration: parsed once from the environment with zod, frozen, passed down.
 * Nothing else reads process.env. A bad value stops the process before it listens, naming it.
 */
import { cpus } from 'node:os';
import { IceServer } from '@lagebild/protocol';
import { formatConfigError } from '@lagebild/service-kit';
import { MediaTokenSecrets } from '@lagebild/tokens';
import { HsmEnv, hsmIssues, SigningKeyName } from '@lagebild/vault';
import { z } from 'zod';

const json = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

export const SfuEnv = z.object({
  HOST: z.string().default('127.0.0.1'),
  /** HTTP: WHIP ingest (/whip/…) and viewer signalling (/sfu/v1/…) */
  PORT: z.coerce.number().int().min(0).max(65535).default(3100),
  REDIS_URL: z.string().url().startsWith('redis'),
  /** HMAC secrets for media tokens, comma-separated; the gateway signs with the first */
  MEDIA_TOKEN_SECRET: MediaTokenSecrets,
  /** mediasoup worker binary (infra/mediasoup/build-worker.sh prints it; setup.sh exports it) */
  MEDIASOUP_WORKER_BIN: z.string().min(1, 'set MEDIASOUP_WORKER_BIN (run infra/bin/setup.sh)'),
  /** mediasoup workers; default one per core */
  SFU_WORKERS: z.coerce.number().int().min(1).max(64).default(cpus().length),
  /** address the RTC sockets listen on, and the one put into ICE candidates if no announced one */
  SFU_LISTEN_IP: z.string().default('127.0.0.1'),
  /** public IP or hostname for ICE candidates (behind NAT); empty = SFU_LISTEN_IP */
  SFU_ANNOUNCED_ADDRESS: z.string().default(''),
  /** first RTC port: worker i listens on UDP and TCP port SFU_RTC_PORT + i; 0 = any free port */
  SFU_RTC_PORT: z.coerce.number().int().min(0).max(65000).default(0),
  /**
   * receive and send buffer of each worker's RTC socket, which every camera and viewer of that
   * worker shares; the kernel caps it at net.core.rmem_max / wmem_max; 0 = the kernel's default
   * (about 208 KiB, which overflows when a busy machine leaves the worker unscheduled for a few
   * milliseconds at 300 streams: issue 17)
   */
  SFU_RTC_SOCKET_BUFFER_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(64 * 1024 * 1024)
    .default(4 * 1024 * 1024),
  /** ICE servers handed to WHIP clients (Link headers) and viewers, JSON array of RTCIceServer */
  SFU_ICE_SERVERS: json(z.array(IceServer)).default([]),
  /** CORS origins allowed to call WHIP from a browser, comma-separated; * = any (tokens, no cookies) */
  SFU_CORS_ORIGINS: z.string().default('*'),
  /** a peer whose ICE/DTLS is gone (or never came) this long is closed */
  SFU_PEER_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(15_000),
  /** largest SDP offer / signalling body accepted (bigger → 413) */
  SFU_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(1_048_576)
    .default(64 * 1024),
  /** height of the top simulcast layer, for choosing layers by tile size */
  SFU_SOURCE_HEIGHT_PX: z.coerce.number().int().min(90).max(4320).default(720),
  /** incoming video bitrate cap per publisher (bps) */
  SFU_MAX_INCOMING_BITRATE: z.coerce.number().int().min(100_000).default(3_000_000),
  /** identifies this SFU node in Redis messages */
  SFU_ID: z.string().min(1).default('sfu-1'),
  /** production refuses demo and throw-away settings at startup (see loadConfig) */
  LAGEBILD_ENV: z.enum(['development', 'production']).default('development'),
  /**
   * shared secret for `/internal/*` (`Authorization: Bearer <secret>`), 32+ characters; empty = the
   * internal endpoints do not exist (404). A loopback address alone is no authentication: a proxy on
   * the same host makes every outside request a loopback one (issue 11).
   */
  SFU_INTERNAL_SECRET: z
    .union([z.literal(''), z.string().min(32, 'needs 32+ characters (e.g. openssl rand -base64 32)')])
    .default(''),
  /**
   * benchmarks only (issue 17, `bench:video --capacity-receivers plain`): `on` adds
   * `/internal/bench/plain-consumers` (sfu/src/bench-plain-consumers.ts), which makes SRTP
   * PlainTransport consumers of a live unit on its tenant's router, sending to loopback ports the
   * caller names. Needs SFU_INTERNAL_SECRET; production refuses it. `off` = the route does not exist.
   */
  SFU_BENCH_PLAIN_CONSUMERS: z.enum(['off', 'on']).default('off'),
  /** live viewer sessions (tiles) one user may hold on this node */
  SFU_MAX_VIEWERS_PER_USER: z.coerce.number().int().min(1).max(1000).default(32),
  /** live viewer sessions one tenant may hold on this node */
  SFU_MAX_VIEWERS_PER_TENANT: z.coerce.number().int().min(1).max(100_000).default(300),
  /** how long a revocation check may wait for Redis before the request is refused (503, fail closed) */
  SFU_REVOCATION_CHECK_TIMEOUT_MS: z.coerce.number().int().min(50).max(10_000).default(1000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Recorder (issue 6): the same names as the gateway's. VAULT_DIR set = every published stream is
  // recorded, encrypted, into that store; then the keyring, the signing key and the database are needed.
  /** the vault's local folder store; empty = no recording on this node */
  VAULT_DIR: z.string().default(''),
  /** development only (production refuses it): tenants' KEKs in a JSON file (re-read when it changes) */
  VAULT_KEYRING_FILE: z.string().default(''),
  /** development only: the Ed25519 key (PEM) that signs manifests */
  VAULT_SIGNING_KEY_FILE: z.string().default(''),
  /**
   * issue 13: the PKCS#11 key token with the tenants' KEKs and the recorder's manifest key
   * (`sign/recorder`). Never the gateway's signing token: the SFU refuses to record with a signing
   * key other than its own (recorder-context.ts)
   */
  ...HsmEnv.shape,
  HSM_SIGNING_KEY: SigningKeyName.default('recorder'),
  /** Recording rows and audit entries */
  DATABASE_URL: z.union([z.literal(''), z.string().url().startsWith('postgres')]).default(''),
  FFMPEG_BIN: z.string().min(1).default('ffmpeg'),
  /** a sealed segment every this long (a crash loses at most the open one's unsealed chunk) */
  SFU_RECORD_SEGMENT_MS: z.coerce.number().int().min(500).max(600_000).default(4000),
  /**
   * plaintext bytes per encrypted chunk of a live recording. A chunk is written once full, so a crash
   * loses at most this much (16 KiB ≈ 65 ms of a 2 Mbit/s camera, ≈ 2 s of a nearly still picture).
   */
  SFU_RECORD_CHUNK_BYTES: z.coerce.number().int().min(4096).max(1_048_576).default(16_384),
  /**
   * after a stream ends ffmpeg finishes by itself once its RTP read times out (10 s); if it has not
   * after this long it is interrupted (losing ≤ 250 ms at the end), and killed 3 s later
   */
  SFU_RECORD_STOP_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(12_000),
  /**
   * the gateway's alarm threshold (same name): a recording cut because the vault's disk filled up is
   * continued once this much is free again (issue 14)
   */
  RECORDINGS_MIN_FREE_MB: z.coerce.number().min(0).default(512),
});

export type SfuConfig = Readonly<z.infer<typeof SfuEnv>>;

/** The password of the embedded demo database (infra/src/postgres.ts): never a production one. */
const DEMO_DB_PASSWORD = 'lagebild-local';

type ParsedEnv = z.infer<typeof SfuEnv>;
type Issue = { path: string; message: string };

/**
 * What production refuses: settings that are fine on a laptop and dangerous on a server. Each issue
 * names the variable and what to do instead.
 */
export function productionIssues(c: ParsedEnv): Issue[] {
  if (c.LAGEBILD_ENV !== 'production') return [];
  // VAULT_SIGNING_KEY_FILE / VAULT_KEYRING_FILE with VAULT_DIR: refused in every mode (loadConfig).
  const out: Issue[] = [];
  if (!c.SFU_INTERNAL_SECRET)
    out.push({ path: 'SFU_INTERNAL_SECRET', message: 'required in production (32+ characters)' });
  if (c.DATABASE_URL) {
    const url = new URL(c.DATABASE_URL);
    if (decodeURIComponent(url.username) === 'postgres')
      out.push({
        path: 'DATABASE_URL',
        message: 'connects as the superuser postgres; use the application role in production',
      });
    if (decodeURIComponent(url.password) === DEMO_DB_PASSWORD)
      out.push({ path: 'DATABASE_URL', message: 'is the embedded demo database (its well-known password)' });
  }
  if (c.SFU_BENCH_PLAIN_CONSUMERS === 'on')
    out.push({
      path: 'SFU_BENCH_PLAIN_CONSUMERS',
      message: 'is a benchmark seam (media to any loopback port on request); not in production',
    });
  if (c.SFU_CORS_ORIGINS.split(',').some((o) => o.trim() === '*'))
    out.push({
      path: 'SFU_CORS_ORIGINS',
      message: 'must list the allowed origins in production, not *',
    });
  return out;
}

export function loadConfig(env: Record<string, string | undefined>): SfuConfig {
  const parsed = SfuEnv.superRefine((c, ctx) => {
    if (c.VAULT_DIR) {
      // keys in a PKCS#11 token, or (development) both key files
      const needed = c.HSM_TOKEN_LABEL
        ? (['DATABASE_URL'] as const)
        : (['VAULT_KEYRING_FILE', 'VAULT_SIGNING_KEY_FILE', 'DATABASE_URL'] as const);
      for (const name of needed) {
        if (!c[name])
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: 'required when VAULT_DIR is set (recording; no throw-away keys; or set HSM_TOKEN_LABEL)',
          });
      }
    }
    if (c.SFU_BENCH_PLAIN_CONSUMERS === 'on' && !c.SFU_INTERNAL_SECRET)
      ctx.addIssue({
        code: 'custom',
        path: ['SFU_BENCH_PLAIN_CONSUMERS'],
        message: 'on needs SFU_INTERNAL_SECRET (the seam is behind it, like /internal/stats)',
      });
    for (const i of hsmIssues(c, 'sfu')) {
      if (c.LAGEBILD_ENV === 'production' && !c.VAULT_DIR && i.path === 'HSM_TOKEN_LABEL') continue;
      ctx.addIssue({ code: 'custom', path: [i.path], message: i.message });
    }
    for (const i of productionIssues(c)) {
      ctx.addIssue({ code: 'custom', path: [i.path], message: `${i.message} (LAGEBILD_ENV=production)` });
    }
  }).safeParse(env);
  if (!parsed.success) throw formatConfigError('sfu', parsed.error);
  return Object.freeze(parsed.data);
}
