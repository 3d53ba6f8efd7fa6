/**
 * Command-line arguments of `node sim/src/main.ts`, parsed with node:util and validated with zod,
 * plus loading of the credentials file. Errors name the flag or the file entry to fix.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { describeIssues } from '@lagebild/protocol';
import { z } from 'zod';
import { CredentialsFile } from './options.ts';
import type { SimDeviceSpec } from './types.ts';

export const USAGE = `usage: node sim/src/main.ts --url <gateway url> --credentials <file.json> [options]

  --url           gateway base URL, e.g. http://127.0.0.1:3000
  --credentials   JSON array of { deviceId, secret, city: "duisburg"|"dortmund", label }
  --rate          statuses per second per device (default 1)
  --seed          PRNG seed for reproducible runs (default random)
  --time-scale    speed-up of escalation, battery and signal behaviour (default 1)
  --behaviour     realistic | steady (default realistic)
  --transport     socket.io | websocket: the device protocol over Socket.IO's /device or over a
                  plain WebSocket at /api/device/v1/ws (default socket.io)
  --video         on | off: a camera in 'recording' publishes live video over WHIP to the SFU the
                  gateway names (default off; needs the SFU and @roamhq/wrtc)
  --shift-every   seconds of simulated time between two shift changes per city (default off): the
                  simulator signs in as <city>.supervisor with the password in the environment
                  variable SIM_SUPERVISOR_PASSWORD and ends and restarts shifts on the Dienst API
  --help          show this text`;

const Args = z.object({
  url: z.url({ protocol: /^https?$/, error: '--url must be an http(s) URL, e.g. http://127.0.0.1:3000' }),
  credentials: z.string({ error: '--credentials <file.json> is required' }).min(1),
  rate: z.coerce.number({ error: '--rate must be a number' }).gt(0).max(50).default(1),
  seed: z.coerce.number({ error: '--seed must be an integer' }).int().optional(),
  timeScale: z.coerce.number({ error: '--time-scale must be a number' }).gt(0).max(10_000).default(1),
  behaviour: z
    .enum(['realistic', 'steady'], { error: '--behaviour must be realistic or steady' })
    .default('realistic'),
  transport: z
    .enum(['socket.io', 'websocket'], { error: '--transport must be socket.io or websocket' })
    .default('socket.io'),
  video: z
    .enum(['on', 'off'], { error: '--video must be on or off' })
    .default('off')
    .transform((v) => v === 'on'),
  shiftEvery: z.coerce
    .number({ error: '--shift-every must be a number of seconds' })
    .min(10, '--shift-every must be at least 10 seconds')
    .max(86_400)
    .optional(),
});
export type CliArgs = z.output<typeof Args>;

export class CliError extends Error {
  override name = 'CliError';
}

/** Parse argv (without node and script). Returns 'help' when --help was given. */
export function parseCliArgs(argv: readonly string[]): CliArgs | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        url: { type: 'string' },
        credentials: { type: 'string' },
        rate: { type: 'string' },
        seed: { type: 'string' },
        'time-scale': { type: 'string' },
        behaviour: { type: 'string' },
        transport: { type: 'string' },
        video: { type: 'string' },
        'shift-every': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  if (values.help) return 'help';
  const parsed = Args.safeParse({
    url: values.url ?? '',
    credentials: values.credentials,
    rate: values.rate,
    seed: values.seed,
    timeScale: values['time-scale'],
    behaviour: values.behaviour,
    transport: values.transport,
    video: values.video,
    shiftEvery: values['shift-every'],
  });
  if (!parsed.success) throw new CliError(parsed.error.issues.map((i) => i.message).join('\n'));
  return parsed.data;
}

export async function loadCredentials(path: string): Promise<SimDeviceSpec[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read credentials file ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CliError(`credentials file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = CredentialsFile.safeParse(json);
  if (!parsed.success) {
    throw new CliError(
      `credentials file ${path} is invalid:\n  ${describeIssues(parsed.error).join('\n  ')}`,
    );
  }
  return parsed.data;
}
