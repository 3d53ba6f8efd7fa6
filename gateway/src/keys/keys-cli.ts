/**
 * `npm run keys -- <command>` (issue 13): the key inventory and rotations, audited.
 *
 *   list [--json]                       per tenant: day keys, evidence keys (current marked), when each
 *                                       was made, how many recordings each wraps, destroyed day keys;
 *                                       the signing keys' fingerprints
 *   rotate evidence <tenant slug|id>    a new evidence key becomes current (old ones stay: they still
 *                                       unwrap what was kept under them)
 *   rotate signing [name]               a new signing key `sign/<name>` (default the gateway's,
 *                                       `gateway`, in its signing token; `recorder` is the SFU's in the
 *                                       key token); the old one is retired under a new label and kept;
 *                                       restart gateway and SFU
 *
 * The tokens come from HSM_MODULE / HSM_TOKEN_LABEL / HSM_PIN_FILE (the key token) and
 * HSM_SIGNING_TOKEN_LABEL / HSM_SIGNING_PIN_FILE (the gateway's signing token), with SOFTHSM2_CONF for
 * SoftHSM2, by default the ones `npm start` made under .data/hsm: the command runs with the gateway's
 * rights. The database from DATABASE_URL, by default the application role's URL `npm start` wrote to
 * .data/app-db.url.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  createHsmKeyring,
  HsmEnv,
  type HsmToken,
  hsmConfigOf,
  hsmSigner,
  hsmSigningConfigOf,
  openHsmToken,
} from '@lagebild/vault';
import pg from 'pg';
import pino from 'pino';
import { createAuditLog } from '../audit/audit-log.ts';
import { keyInventory, rotateEvidenceKey, rotateSigningKey } from './key-inventory.ts';

const DATA_DIR = process.env.LB_DATA_DIR ?? fileURLToPath(new URL('../../../.data', import.meta.url));
const USAGE = 'usage: npm run keys -- list [--json] | rotate evidence <tenant> | rotate signing [name]';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { json: { type: 'boolean', default: false }, db: { type: 'string' } },
});

function hsmEnv(): Record<string, string | undefined> {
  if (process.env.HSM_TOKEN_LABEL) return process.env;
  const dir = join(DATA_DIR, 'hsm');
  if (!existsSync(join(dir, 'softhsm2.conf')))
    throw new Error('no HSM: set HSM_TOKEN_LABEL and HSM_PIN_FILE (or run npm start once)');
  // SoftHSM2 reads its configuration from the environment when the module is initialised
  process.env.SOFTHSM2_CONF ??= join(dir, 'softhsm2.conf');
  return {
    ...process.env,
    HSM_TOKEN_LABEL: 'lagebild',
    HSM_PIN_FILE: join(dir, 'lagebild.pin'),
    // the gateway's signing token (issue 13), if this install has one yet
    ...(existsSync(join(dir, 'lagebild-gateway.pin'))
      ? {
          HSM_SIGNING_TOKEN_LABEL: 'lagebild-gateway',
          HSM_SIGNING_PIN_FILE: join(dir, 'lagebild-gateway.pin'),
        }
      : {}),
  };
}

async function databaseUrl(): Promise<string> {
  if (values.db) return values.db;
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  try {
    return (await readFile(join(DATA_DIR, 'app-db.url'), 'utf8')).trim();
  } catch {
    throw new Error('no database: pass --db postgres://… or set DATABASE_URL (or run npm start once)');
  }
}

async function main(): Promise<number> {
  const [command, what, arg] = positionals;
  if (command !== 'list' && command !== 'rotate') {
    console.error(USAGE);
    return 2;
  }
  const env = HsmEnv.parse(hsmEnv());
  const token = openHsmToken(hsmConfigOf(env)!);
  const signingConfig = hsmSigningConfigOf(env);
  let signingToken: HsmToken | null = null;
  try {
    signingToken = signingConfig ? openHsmToken(signingConfig) : null;
  } catch (err) {
    token.close();
    throw err;
  }
  const gatewayToken = signingToken ?? token;
  const pool = new pg.Pool({
    connectionString: await databaseUrl(),
    max: 2,
    application_name: 'lagebild-keys',
  });
  try {
    const ring = createHsmKeyring(token);
    const actor = `system:keys-cli:${process.env.USER ?? 'unknown'}`;
    const audit = () =>
      createAuditLog({
        pool,
        signer: hsmSigner(gatewayToken, env.HSM_SIGNING_KEY),
        log: pino({ level: 'silent' }),
      });
    if (command === 'list') {
      const inv = await keyInventory(pool, token, ring, signingToken);
      if (values.json) {
        console.log(JSON.stringify(inv, null, 2));
        return 0;
      }
      console.log(`token ${inv.token}`);
      for (const t of inv.tenants) {
        console.log(`tenant ${t.slug} (${t.tenantId})`);
        for (const k of t.keys)
          console.log(
            `  ${k.kekId.padEnd(20)} ${k.kind.padEnd(8)} created ${k.createdAt ?? '?'}  wraps ${k.recordings} recording(s)${k.current ? '  (current evidence key)' : ''}`,
          );
        for (const d of t.destroyed) console.log(`  ${d.kekId.padEnd(20)} destroyed ${d.destroyedAt}`);
        for (const u of t.unaccounted)
          console.log(`  ${String(u.kekId).padEnd(20)} NOT IN THE TOKEN  ${u.recordings} recording(s)`);
      }
      for (const s of inv.signingKeys)
        console.log(`signing ${s.label.padEnd(24)} token ${s.token}  sha256:${s.fingerprint}`);
      return 0;
    }
    if (what === 'evidence' && arg) {
      const { rows } = await pool.query<{ id: string }>(
        'SELECT id FROM tenants WHERE slug = $1 OR id::text = $1',
        [arg],
      );
      if (!rows[0]) throw new Error(`no tenant ${arg}`);
      const kekId = await rotateEvidenceKey(pool, ring, audit(), rows[0].id, actor);
      console.log(`tenant ${arg}: evidence key ${kekId} is current`);
      return 0;
    }
    if (what === 'signing') {
      const name = arg ?? env.HSM_SIGNING_KEY;
      // the gateway's key in its own token; any other (the recorder's) in the key token
      const where = name === env.HSM_SIGNING_KEY ? gatewayToken : token;
      const r = await rotateSigningKey(pool, where, audit(), name, actor);
      console.log(`signing key rotated: ${r.previous ?? '(none)'} → ${r.current}; restart gateway and SFU`);
      return 0;
    }
    console.error(USAGE);
    return 2;
  } finally {
    await pool.end();
    signingToken?.close();
    token.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`keys: ${err.message}`);
    process.exit(1);
  },
);
