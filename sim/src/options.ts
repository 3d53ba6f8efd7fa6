/**
 * Validation of the simulator's inputs (library options and the CLI's credentials file), done
 * once at the boundary with messages that say what to fix.
 */
import { DeviceHandshake, describeIssues } from '@lagebild/protocol';
import { z } from 'zod';
import type { SimulationOptions } from './types.ts';

export const SimDeviceSpecSchema = z.strictObject({
  deviceId: DeviceHandshake.shape.deviceId,
  secret: DeviceHandshake.shape.secret,
  city: z.enum(['duisburg', 'dortmund']),
  label: z.string().min(1).max(64).optional(),
  initialSeq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});

export const CredentialsFile = z
  .array(SimDeviceSpecSchema)
  .min(1, 'needs at least one device')
  .refine((list) => new Set(list.map((d) => d.deviceId)).size === list.length, 'deviceIds must be unique');

const SimOptionsSchema = z.object({
  url: z.url({ protocol: /^https?$/, error: 'url must be an http(s) URL, e.g. http://127.0.0.1:3000' }),
  devices: CredentialsFile,
  rateHz: z.number().gt(0).max(50).default(1),
  seed: z.number().int().optional(),
  timeScale: z.number().gt(0).max(10_000).default(1),
  behaviour: z.enum(['realistic', 'steady']).default('realistic'),
  ackTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
  transport: z.enum(['socket.io', 'websocket']).default('socket.io'),
  maxInFlight: z.number().int().min(1).max(1000).default(1),
  connectPerSecond: z.number().gt(0).max(100_000).default(500),
  vehicleShare: z.number().min(0).max(1).default(0.2),
  /** how officers answer dispatch requests (defaults: DEFAULT_RESPONSE) */
  response: z
    .strictObject({
      acceptRate: z.number().min(0).max(1).optional(),
      minAnswerMs: z.number().min(0).max(600_000).optional(),
      maxAnswerMs: z.number().min(0).max(600_000).optional(),
      minOnSceneMs: z.number().min(0).optional(),
      maxOnSceneMs: z.number().min(0).optional(),
    })
    .default({}),
});

export type ResolvedOptions = z.output<typeof SimOptionsSchema> & {
  seed: number;
  onEvent: SimulationOptions['onEvent'];
};

export class SimOptionsError extends Error {
  readonly code = 'bad_request';
  readonly issues: string[];
  constructor(issues: string[]) {
    super(`invalid simulation options: ${issues.join('; ')}`);
    this.name = 'SimOptionsError';
    this.issues = issues;
  }
}

export function resolveOptions(opts: SimulationOptions): ResolvedOptions {
  const { onEvent, ...data } = opts;
  const parsed = SimOptionsSchema.safeParse(data);
  if (!parsed.success) throw new SimOptionsError(describeIssues(parsed.error));
  if (onEvent !== undefined && typeof onEvent !== 'function')
    throw new SimOptionsError(['onEvent must be a function']);
  return {
    ...parsed.data,
    url: parsed.data.url.replace(/\/+$/, ''),
    seed: parsed.data.seed ?? Math.floor(Math.random() * 2 ** 32),
    onEvent,
  };
}
