/**
 * Verifies an audit history: consecutive sequence numbers (a deleted row leaves a gap), each
 * entry's prev_hash equal to the previous hash, each hash recomputed, each unpruned payload matching
 * its payload hash, and every checkpoint signed by the service and matching the entry it names.
 * Checkpoints kept outside (by the data protection officer) catch a rewrite of the whole history.
 * The result names the first bad entry.
 */
import type { Verifier } from '@lagebild/vault';
import {
  type AuditRecord,
  CHECKPOINT_FORMAT,
  type Checkpoint,
  entryHash,
  GENESIS_HASH,
  payloadHash,
} from './chain.ts';

export interface AuditProblem {
  seq: number;
  problem: string;
}

export interface AuditVerifyResult {
  ok: boolean;
  entries: number;
  pruned: number;
  checkpoints: number;
  headSeq: number;
  headHash: string;
  firstBad: AuditProblem | null;
  problems: AuditProblem[];
}

export async function verifyAuditChain(
  rows: AsyncIterable<AuditRecord> | Iterable<AuditRecord>,
  checkpoints: Checkpoint[],
  verifier: Verifier,
  opts: { externalCheckpoints?: Checkpoint[] } = {},
): Promise<AuditVerifyResult> {
  const problems: AuditProblem[] = [];
  const bad = (seq: number, problem: string) => problems.push({ seq, problem });
  const wanted = new Map<number, { cp: Checkpoint; source: string }[]>();
  for (const [source, list] of [
    ['database', checkpoints],
    ['external', opts.externalCheckpoints ?? []],
  ] as const) {
    for (const cp of list) {
      let statementOk = false;
      try {
        const s = JSON.parse(cp.statement);
        statementOk =
          s.format === CHECKPOINT_FORMAT && s.seq === cp.seq && s.hash === cp.hash && s.at === cp.at;
      } catch {
        statementOk = false;
      }
      if (!statementOk) bad(cp.seq, `${source} checkpoint ${cp.seq}: statement does not match its fields`);
      else if (!verifier.verify(cp.statement, Buffer.from(cp.signature, 'base64'))) {
        bad(cp.seq, `${source} checkpoint ${cp.seq}: signature invalid (or signed by another key)`);
      }
      const l = wanted.get(cp.seq) ?? [];
      l.push({ cp, source });
      wanted.set(cp.seq, l);
    }
  }
  let prevSeq = 0;
  let prevHash = GENESIS_HASH;
  let entries = 0;
  let pruned = 0;
  for await (const r of rows) {
    entries++;
    if (r.seq !== prevSeq + 1) bad(r.seq, `entries ${prevSeq + 1}–${r.seq - 1} are missing (deleted?)`);
    if (r.prevHash !== prevHash) bad(r.seq, `prev_hash does not match the hash of entry ${prevSeq}`);
    if (r.payload === null) pruned++;
    else if (payloadHash(r.payload) !== r.payloadHash)
      bad(r.seq, 'payload was changed (payload hash mismatch)');
    const h = entryHash(r);
    if (h !== r.hash) bad(r.seq, 'entry was changed (hash mismatch)');
    for (const { cp, source } of wanted.get(r.seq) ?? []) {
      if (cp.hash !== r.hash || cp.hash !== h)
        bad(r.seq, `entry differs from what ${source} checkpoint ${cp.seq} signed`);
    }
    wanted.delete(r.seq);
    prevSeq = r.seq;
    prevHash = r.hash;
  }
  for (const [seq, list] of wanted) {
    for (const { source } of list)
      bad(seq, `${source} checkpoint ${seq} names an entry that is not in the log`);
  }
  problems.sort((a, b) => a.seq - b.seq);
  return {
    ok: problems.length === 0,
    entries,
    pruned,
    checkpoints: checkpoints.length,
    headSeq: prevSeq,
    headHash: prevHash,
    firstBad: problems[0] ?? null,
    problems,
  };
}
