/**
 * `npm run keys -- <command>` (issue 13): the key inventory and rotations, audited.
 *
 *   list [--json]                       per tenant: day keys, evidence keys (current marked), when each
 *                                       was made, how many recordings each wraps, destroyed day keys;
 *                                       the signing keys' fingerprints
 *   rotate evidence <tenant slug|id>    a new evidence key becomes current (old ones stay: they still
 *                                       unwrap what was kept under them)
 *   rotate signing [name]               a new signing key `sign/<name>` (default `service`); the old one
 *                                       is retired under a new label and kept; restart gateway and SFU
 *
 * The token comes from HSM_MODULE / HSM_TOKEN_LABEL / HSM_PIN_FILE (with SOFTHSM2_CONF for SoftHSM2),
 * by default the one `npm start` made under .data/hsm; the database from DATABASE_URL, by default the
 * application role's URL `npm start` wrote to .data/app-db.url.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createHsmKeyring, HsmEnv, hsmConfigOf, hsmSigner, openHsmToken } from '@lagebild/vault';
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
  return { ...process.env, HSM_TOKEN_LABEL: 'lagebild', HSM_PIN_FILE: join(dir, 'lagebild.pin') };
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
  const pool = new pg.Pool({
    connectionString: await databaseUrl(),
    max: 2,
    application_name: 'lagebild-keys',
  });
  try {
    const ring = createHsmKeyring(token);
    const actor = `system:keys-cli:${process.env.USER ?? 'unknown'}`;
    const audit = () =>
      createAuditLog({ pool, signer: hsmSigner(token, env.HSM_SIGNING_KEY), log: pino({ level: 'silent' }) });
    if (command === 'list') {
      const inv = await keyInventory(pool, token, ring);
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
      for (const s of inv.signingKeys) console.log(`signing ${s.label}  sha256:${s.fingerprint}`);
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
      const r = await rotateSigningKey(pool, token, audit(), arg ?? env.HSM_SIGNING_KEY, actor);
      console.log(`signing key rotated: ${r.previous ?? '(none)'} → ${r.current}; restart gateway and SFU`);
      return 0;
    }
    console.error(USAGE);
    return 2;
  } finally {
    await pool.end();
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
