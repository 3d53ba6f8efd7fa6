/**
 * `npm run conformance -- --url <gateway> --device-id <id> --secret <secret> [--device-token <token>]
 * [--only D15,D17]`: drives a provisioned device through docs/device-protocol.md over Socket.IO and
 * HTTP, prints a table of rule ids, exits 1 if a rule failed (2 for bad arguments). The device's
 * credentials may also come from LAGEBILD_DEVICE_ID / LAGEBILD_DEVICE_SECRET (keeps the secret out of
 * the shell history).
 */
import { parseArgs } from 'node:util';
import { formatTable, runConformance } from './run.ts';

const USAGE =
  'usage: npm run conformance -- --url <gateway url> --device-id <uuid> --secret <device secret> ' +
  '[--device-token <token>] [--only D4,D15]';

async function main(): Promise<number> {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        url: { type: 'string' },
        'device-id': { type: 'string' },
        secret: { type: 'string' },
        'device-token': { type: 'string' },
        only: { type: 'string' },
      },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const url = values.url;
  const deviceId = values['device-id'] ?? process.env.LAGEBILD_DEVICE_ID;
  const secret = values.secret ?? process.env.LAGEBILD_DEVICE_SECRET;
  if (!url || !deviceId || !secret) {
    console.error(`--url, --device-id and --secret are required\n${USAGE}`);
    return 2;
  }
  console.log(`Lagebild device protocol 1.0 conformance: ${url}, device ${deviceId}`);
  const results = await runConformance({
    url,
    deviceId,
    secret,
    deviceToken: values['device-token'],
    only: values.only?.split(',').map((s) => s.trim()),
  });
  console.log(formatTable(results));
  return results.some((r) => r.outcome === 'fail') ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
