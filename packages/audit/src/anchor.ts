/**
 * Anchoring checkpoints outside the database (issue 13). Each signed checkpoint gets an RFC 3161
 * time stamp over sha256(statement) from the TSA, and checkpoint + reply are appended as one JSON
 * line to the export target, a file opened O_APPEND (production makes its folder WORM: `chattr +a`
 * or an object-locked bucket; docs/keys-and-evidence.md). A checkpoint without a token waits: the
 * next run asks again, so a TSA outage delays anchoring but never stops an append or loses one.
 */
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withTransaction } from '@lagebild/db/transaction';
import type pg from 'pg';
import type { Checkpoint } from './chain.ts';
import { requestTimestamp } from './tsa.ts';

export const ANCHOR_FILE = 'audit-anchors.jsonl';
/** pg_advisory lock key of the anchoring job ('LBANCHOR' as an integer) */
const ANCHOR_LOCK = 0x4c42414e43484f52n.toString();

export interface Anchor {
  seq: number;
  /** the TimeStampResp, DER, base64 */
  tsaReply: string;
  /** the token's genTime, epoch ms */
  genTime: number;
}

/** One line of the export target. */
export interface AnchorLine {
  checkpoint: Checkpoint;
  anchor: Anchor;
}

export async function loadAnchors(pool: Pick<pg.Pool, 'query'>): Promise<Anchor[]> {
  const { rows } = await pool.query<{ seq: string; tsa_reply: string; gen_time: Date }>(
    'SELECT seq, tsa_reply, gen_time FROM audit_anchors ORDER BY seq',
  );
  return rows.map((r) => ({ seq: Number(r.seq), tsaReply: r.tsa_reply, genTime: r.gen_time.getTime() }));
}

/** Checkpoints still waiting for their time stamp, oldest first. */
export async function pendingCheckpoints(pool: Pick<pg.Pool, 'query'>, limit = 100): Promise<Checkpoint[]> {
  const { rows } = await pool.query<{
    seq: string;
    hash: string;
    at: Date;
    statement: string;
    signature: string;
    signing_key: string;
  }>(
    `SELECT c.* FROM audit_checkpoints c LEFT JOIN audit_anchors a ON a.seq = c.seq
      WHERE a.seq IS NULL ORDER BY c.seq LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    hash: r.hash,
    at: r.at.getTime(),
    statement: r.statement,
    signature: r.signature,
    signingKey: r.signing_key,
  }));
}

/** Appends lines to the export target (O_APPEND: every write lands at the end, none overwrites). */
export async function appendToExportTarget(dir: string, lines: AnchorLine[]): Promise<void> {
  if (lines.length === 0) return;
  const fh = await open(join(dir, ANCHOR_FILE), 'a', 0o640);
  try {
    await fh.appendFile(lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function readExportTarget(file: string): Promise<AnchorLine[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as AnchorLine);
}

export interface AnchorRun {
  anchored: number;
  /** checkpoints still without a token after this run */
  pending: number;
  error?: Error;
}

/**
 * Time-stamps every waiting checkpoint: token, then the export target, then the database row (a
 * crash in between writes the checkpoint again next time with a newer token; the verifier accepts
 * several tokens for one checkpoint as long as each verifies). Stops at the first TSA failure and
 * reports it; the rest wait for the next run.
 */
export async function anchorPending(
  pool: pg.Pool,
  opts: { tsaUrl: string; exportDir: string; timeoutMs?: number },
): Promise<AnchorRun> {
  // one anchoring gateway at a time (a transaction-scoped advisory lock), so the export target holds
  // one token per checkpoint even with several gateways
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_xact_lock($1) AS locked',
      [ANCHOR_LOCK],
    );
    const waiting = await pendingCheckpoints(client);
    if (!rows[0]!.locked) return { anchored: 0, pending: waiting.length };
    let anchored = 0;
    for (const cp of waiting) {
      let anchor: Anchor;
      try {
        const { reply, genTime } = await requestTimestamp(opts.tsaUrl, cp.statement, opts.timeoutMs);
        anchor = { seq: cp.seq, tsaReply: reply.toString('base64'), genTime };
      } catch (err) {
        return { anchored, pending: waiting.length - anchored, error: err as Error };
      }
      await appendToExportTarget(opts.exportDir, [{ checkpoint: cp, anchor }]);
      await client.query(
        'INSERT INTO audit_anchors (seq, tsa_reply, gen_time) VALUES ($1, $2, $3) ON CONFLICT (seq) DO NOTHING',
        [cp.seq, anchor.tsaReply, new Date(anchor.genTime)],
      );
      anchored++;
    }
    return { anchored, pending: waiting.length - anchored };
  });
}
