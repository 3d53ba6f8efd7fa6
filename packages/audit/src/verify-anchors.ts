/**
 * Verifies the anchoring of audit checkpoints (issue 13): every RFC 3161 token in the database and
 * in the export target must be the TSA's (`openssl ts -verify` against its CA) over exactly its
 * checkpoint's statement, every export-target checkpoint must be signed and present unchanged in the
 * database, and every anchored checkpoint in the database must be in the export target. A history
 * rewritten and re-signed with a stolen key fails here: its checkpoints no longer match the tokens
 * (dated by the TSA before the rewrite) nor the lines written to the append-only target. The
 * export target's checkpoints are also the chain verifier's external checkpoints (verify.ts), so
 * the rewritten entries are named.
 */
import type { Verifier } from '@lagebild/vault';
import type { Anchor, AnchorLine } from './anchor.ts';
import type { Checkpoint } from './chain.ts';
import { verifyTimestamp } from './tsa-verify.ts';
import type { AuditProblem } from './verify.ts';

export interface AnchorVerifyResult {
  ok: boolean;
  /** database checkpoints whose token verified */
  anchored: number;
  /** database checkpoints still waiting for a token (not a failure: the TSA may be down) */
  pending: number;
  exportLines: number;
  problems: AuditProblem[];
}

const same = (a: Checkpoint, b: Checkpoint) =>
  a.seq === b.seq &&
  a.statement === b.statement &&
  a.signature === b.signature &&
  a.signingKey === b.signingKey;

export async function verifyAnchors(opts: {
  checkpoints: Checkpoint[];
  anchors: Anchor[];
  /** the export target's lines; null when it was not given (then only the tokens are checked) */
  exportLines: AnchorLine[] | null;
  tsaCaFile: string;
  verifier: Verifier;
}): Promise<AnchorVerifyResult> {
  const problems: AuditProblem[] = [];
  const bad = (seq: number, problem: string) => problems.push({ seq, problem });
  const bySeq = new Map(opts.checkpoints.map((c) => [c.seq, c]));
  const anchoredSeqs = new Set<number>();
  let anchored = 0;
  for (const a of opts.anchors) {
    const cp = bySeq.get(a.seq);
    if (!cp) {
      bad(a.seq, `database anchor ${a.seq} has no checkpoint`);
      continue;
    }
    anchoredSeqs.add(a.seq);
    const r = await verifyTimestamp(cp.statement, a.tsaReply, opts.tsaCaFile);
    if (r.ok) anchored++;
    else bad(a.seq, `database checkpoint ${a.seq}: its RFC 3161 token does not cover it (${r.detail})`);
  }
  if (opts.exportLines) {
    const exported = new Set<number>();
    for (const line of opts.exportLines) {
      const cp = line.checkpoint;
      exported.add(cp.seq);
      if (!opts.verifier.verify(cp.statement, Buffer.from(cp.signature, 'base64')))
        bad(cp.seq, `export target's checkpoint ${cp.seq}: signature invalid (or signed by another key)`);
      const r = await verifyTimestamp(cp.statement, line.anchor.tsaReply, opts.tsaCaFile);
      if (!r.ok) bad(cp.seq, `export target's checkpoint ${cp.seq}: token does not verify (${r.detail})`);
      const db = bySeq.get(cp.seq);
      if (!db) bad(cp.seq, `export target's checkpoint ${cp.seq} is missing from the database`);
      else if (!same(db, cp))
        bad(cp.seq, `database checkpoint ${cp.seq} differs from the one anchored in the export target`);
    }
    for (const seq of anchoredSeqs)
      if (!exported.has(seq)) bad(seq, `anchored checkpoint ${seq} is missing from the export target`);
  }
  problems.sort((a, b) => a.seq - b.seq);
  return {
    ok: problems.length === 0,
    anchored,
    pending: opts.checkpoints.filter((c) => !anchoredSeqs.has(c.seq)).length,
    exportLines: opts.exportLines?.length ?? 0,
    problems,
  };
}
