/**
 * SFU configuration: parsed once from the environment with zod, frozen, passed down.
 * Nothing else reads process.env. A bad value stops the process before it listens, naming it.
 */
import { cpus } from 'node:os';
import { IceServer } from '@lagebild/protocol';
import { MediaTokenSecrets } from '@lagebild/tokens';
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
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Recorder (issue 6): the same names as the gateway's. VAULT_DIR set = every published stream is
  // recorded, encrypted, into that store; then the keyring, the signing key and the database are needed.
  /** the vault's local folder store; empty = no recording on this node */
  VAULT_DIR: z.string().default(''),
  /** tenants' key-encryption keys (re-read when the file changes) */
  VAULT_KEYRING_FILE: z.string().default(''),
  /** the service's Ed25519 key (PEM) that signs manifests and audit checkpoints */
  VAULT_SIGNING_KEY_FILE: z.string().default(''),
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
});

export type SfuConfig = Readonly<z.infer<typeof SfuEnv>>;

export function loadConfig(env: Record<string, string | undefined>): SfuConfig {
  const parsed = SfuEnv.superRefine((c, ctx) => {
    if (!c.VAULT_DIR) return;
    for (const name of ['VAULT_KEYRING_FILE', 'VAULT_SIGNING_KEY_FILE', 'DATABASE_URL'] as const) {
      if (!c[name])
        ctx.addIssue({ code: 'custom', path: [name], message: `required when VAULT_DIR is set (recording)` });
    }
  }).safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid sfu configuration:\n${lines.join('\n')}`);
  }
  return Object.freeze(parsed.data);
}
