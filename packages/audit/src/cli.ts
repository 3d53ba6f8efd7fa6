#!/usr/bin/env node
/**
 * `npm run verify -- <what>`: checks done by anyone holding the public key, exit 0 = verified.
 *   audit [--db URL] [--file dump.jsonl] [--checkpoints kept.jsonl] [--pubkey pem] [--json]
 *         [--anchors audit-anchors.jsonl] [--tsa-ca ca.pem]
 *       with the database: also every checkpoint's RFC 3161 token (openssl ts -verify against the
 *       TSA's CA) and the database's checkpoints against the append-only export target (issue 13)
 *   audit-export <out.jsonl> [--db URL]       the log and checkpoints for the data protection officer
 *   export <bundle.tar> [--pubkey pem] [--manifest-pubkey pem] [--json]
 *       --pubkey pins the service's (gateway's) keys: export note, custody checkpoint, imported
 *       manifests; --manifest-pubkey the recorder's (SFU), which signs live recordings' manifests
 *       (default with --pubkey: .data/keys/recorder.pub.pem if it exists)
 * The database URL defaults to DATABASE_URL, then to the one `npm start` wrote to .data/database.url;
 * the public key to .data/keys/signing.pub.pem, the export target to
 * .data/audit-anchors/audit-anchors.jsonl and the TSA's CA to .data/tsa/ca.pem (npm start's).
 */
import { createWriteStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { verifierFromPem, verifyExportBundle } from '@lagebild/vault';
import pg from 'pg';
import { ANCHOR_FILE, loadAnchors, readExportTarget } from './anchor.ts';
import { exportAuditJsonl, loadCheckpoints, parseAuditJsonl, readAuditLog } from './pg-audit.ts';
import { verifyAuditChain } from './verify.ts';
import { type AnchorVerifyResult, verifyAnchors } from './verify-anchors.ts';

const DATA_DIR = process.env.LB_DATA_DIR ?? fileURLToPath(new URL('../../../.data', import.meta.url));

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    db: { type: 'string' },
    file: { type: 'string' },
    checkpoints: { type: 'string' },
    pubkey: { type: 'string' },
    'manifest-pubkey': { type: 'string' },
    anchors: { type: 'string' },
    'tsa-ca': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});

async function databaseUrl(): Promise<string> {
  if (values.db) return values.db;
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  try {
    return (await readFile(join(DATA_DIR, 'database.url'), 'utf8')).trim();
  } catch {
    throw new Error('no database: pass --db postgres://… or set DATABASE_URL (or run npm start once)');
  }
}

const pubkey = () => readFile(values.pubkey ?? join(DATA_DIR, 'keys', 'signing.pub.pem'), 'utf8');
const print = (o: unknown, text: string) => console.log(values.json ? JSON.stringify(o, null, 2) : text);

async function verifyAudit(): Promise<boolean> {
  const verifier = verifierFromPem(await pubkey());
  const external = values.checkpoints
    ? parseAuditJsonl(await readFile(values.checkpoints, 'utf8')).checkpoints
    : [];
  let result: Awaited<ReturnType<typeof verifyAuditChain>>;
  let anchoring: AnchorVerifyResult | null = null;
  if (values.file) {
    const dump = parseAuditJsonl(await readFile(values.file, 'utf8'));
    result = await verifyAuditChain(dump.entries, dump.checkpoints, verifier, {
      externalCheckpoints: external,
    });
  } else {
    const pool = new pg.Pool({ connectionString: await databaseUrl(), max: 1 });
    try {
      const anchorsFile = values.anchors ?? join(DATA_DIR, 'audit-anchors', ANCHOR_FILE);
      const exportLines =
        values.anchors || existsSync(anchorsFile) ? await readExportTarget(anchorsFile) : null;
      if (values.anchors && exportLines?.length === 0)
        throw new Error(`the export target ${anchorsFile} is empty or missing`);
      const checkpoints = await loadCheckpoints(pool);
      const anchors = await loadAnchors(pool);
      const tsaCa = values['tsa-ca'] ?? join(DATA_DIR, 'tsa', 'ca.pem');
      if ((anchors.length > 0 || exportLines?.length) && !existsSync(tsaCa))
        throw new Error(
          `cannot check the time-stamp tokens: no TSA CA certificate at ${tsaCa} (pass --tsa-ca)`,
        );
      if (existsSync(tsaCa))
        anchoring = await verifyAnchors({ checkpoints, anchors, exportLines, tsaCaFile: tsaCa, verifier });
      result = await verifyAuditChain(readAuditLog(pool), checkpoints, verifier, {
        externalCheckpoints: [...external, ...(exportLines ?? []).map((l) => l.checkpoint)],
      });
    } finally {
      await pool.end();
    }
  }
  if (anchoring) {
    const problems = [...result.problems, ...anchoring.problems].sort((a, b) => a.seq - b.seq);
    result = { ...result, ok: result.ok && anchoring.ok, problems, firstBad: problems[0] ?? null };
  }
  const text = result.ok
    ? `audit log verified: ${result.entries} entries (${result.pruned} pruned payloads), ${result.checkpoints} signed checkpoints, head ${result.headSeq} ${result.headHash.slice(0, 16)}…`
    : `AUDIT LOG FAILED: first bad entry is seq ${result.firstBad!.seq}: ${result.firstBad!.problem}\n${result.problems
        .slice(1, 10)
        .map((p) => `  also seq ${p.seq}: ${p.problem}`)
        .join('\n')}`;
  const anchorText = anchoring
    ? `\ncheckpoints anchored: ${anchoring.anchored} with a verified RFC 3161 token, ${anchoring.pending} waiting for one; export target: ${anchoring.exportLines} lines`
    : '';
  print({ ...result, anchoring }, text + anchorText);
  return result.ok;
}

async function exportAudit(out: string): Promise<boolean> {
  const pool = new pg.Pool({ connectionString: await databaseUrl(), max: 1 });
  const file = createWriteStream(out, { mode: 0o600 });
  let n = 0;
  try {
    for await (const line of exportAuditJsonl(pool)) {
      if (!file.write(line)) await new Promise<void>((r) => file.once('drain', () => r()));
      n++;
    }
  } finally {
    await new Promise<void>((r) => file.end(() => r()));
    await pool.end();
  }
  print({ out, lines: n }, `wrote ${n} lines to ${out}`);
  return true;
}

async function verifyExport(path: string): Promise<boolean> {
  const trusted = values.pubkey ? await readFile(values.pubkey, 'utf8') : undefined;
  const recorderFile = values['manifest-pubkey'] ?? join(DATA_DIR, 'keys', 'recorder.pub.pem');
  const recorder =
    trusted && (values['manifest-pubkey'] || existsSync(recorderFile))
      ? await readFile(recorderFile, 'utf8')
      : '';
  const r = await verifyExportBundle(path, {
    trustedPublicKeyPem: trusted,
    // an imported recording's manifest is signed by the service's key, a live one by the recorder's
    ...(trusted ? { trustedManifestKeyPem: recorder + trusted } : {}),
  });
  print(
    r,
    `${r.checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`).join('\n')}\n${r.ok ? 'export verified' : 'EXPORT FAILED'}`,
  );
  return r.ok;
}

const [what, arg] = positionals;
try {
  let ok: boolean;
  if (what === 'audit') ok = await verifyAudit();
  else if (what === 'audit-export' && arg) ok = await exportAudit(arg);
  else if (what === 'export' && arg) ok = await verifyExport(arg);
  else {
    console.error(
      'usage: npm run verify -- audit [--file dump.jsonl] [--checkpoints kept.jsonl] | audit-export <out> | export <bundle.tar>',
    );
    process.exit(2);
  }
  process.exit(ok ? 0 : 1);
} catch (err) {
  console.error(`verify: ${(err as Error).message}`);
  process.exit(2);
}
