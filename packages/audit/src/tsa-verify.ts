/**
 * Checks a checkpoint's RFC 3161 reply with `openssl ts -verify` against the TSA's CA, the same
 * command an outside party runs (docs/keys-and-evidence.md, "Audit anchoring"): the token must be
 * signed by a certificate with the timeStamping usage under that CA and cover sha256 of exactly the
 * checkpoint's statement bytes.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function verifyTimestamp(
  statement: string,
  tsaReplyBase64: string,
  caFile: string,
): Promise<{ ok: boolean; detail: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'lagebild-tsv-'));
  try {
    await writeFile(join(dir, 'statement.json'), statement);
    await writeFile(join(dir, 'reply.tsr'), Buffer.from(tsaReplyBase64, 'base64'));
    const r = await run('openssl', [
      'ts',
      '-verify',
      '-data',
      join(dir, 'statement.json'),
      '-in',
      join(dir, 'reply.tsr'),
      '-CAfile',
      caFile,
    ]).then(
      (o) => ({ ok: /Verification: OK/.test(o.stdout), detail: o.stdout.trim() }),
      (e: { stdout?: string; stderr?: string }) => ({
        ok: false,
        detail: `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(0, 3).join(' '),
      }),
    );
    return r;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
