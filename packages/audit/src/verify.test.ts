/**
 * The verifier against chains built in memory with the same arithmetic the appender uses: an intact
 * chain passes, and each way an insider could rewrite history is named at its first bad entry.
 */
import { generateSigningPem, signerFromPem, signJson, verifierFromPem } from '@lagebild/vault';
import { describe, expect, it } from 'vitest';
import {
  type AuditRecord,
  CHECKPOINT_FORMAT,
  type Checkpoint,
  entryHash,
  GENESIS_HASH,
  payloadHash,
} from './chain.ts';
import { verifyAuditChain } from './verify.ts';

const signer = signerFromPem(generateSigningPem());
const verifier = verifierFromPem(signer.publicKeyPem);

function chain(n: number): AuditRecord[] {
  const out: AuditRecord[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const payload = { watchId: `w${seq}` };
    const base = {
      seq,
      tenantId: '00000000-0000-4000-8000-000000000001',
      at: 1_700_000_000_000 + seq,
      actor: 'duisburg.supervisor',
      action: 'playback',
      target: `recording:${seq}`,
      reason: 'Sichtung',
      recipient: null,
      payloadHash: payloadHash(payload),
      prevHash,
    };
    const rec = { ...base, payload, hash: entryHash(base) };
    out.push(rec);
    prevHash = rec.hash;
  }
  return out;
}

function checkpoint(r: AuditRecord): Checkpoint {
  const { json, signature } = signJson(signer, {
    format: CHECKPOINT_FORMAT,
    seq: r.seq,
    hash: r.hash,
    at: r.at,
  });
  return {
    seq: r.seq,
    hash: r.hash,
    at: r.at,
    statement: json,
    signature: Buffer.from(signature).toString('base64'),
    signingKey: signer.publicKeyPem,
  };
}

describe('verifyAuditChain', () => {
  it('accepts an intact chain with a signed checkpoint', async () => {
    const rows = chain(5);
    const r = await verifyAuditChain(rows, [checkpoint(rows[2]!)], verifier);
    expect(r).toMatchObject({ ok: true, entries: 5, checkpoints: 1, headSeq: 5, firstBad: null });
  });

  it('names a changed field, a changed payload and a deleted entry at the first bad entry', async () => {
    const edited = chain(5);
    edited[2] = { ...edited[2]!, reason: 'anders' };
    expect((await verifyAuditChain(edited, [], verifier)).firstBad).toMatchObject({ seq: 3 });

    const payload = chain(5);
    payload[1] = { ...payload[1]!, payload: { watchId: 'forged' } };
    expect((await verifyAuditChain(payload, [], verifier)).firstBad?.problem).toMatch(/payload/);

    const gap = chain(5).filter((r) => r.seq !== 4);
    expect((await verifyAuditChain(gap, [], verifier)).firstBad?.problem).toMatch(/missing/);
  });

  it('keeps a pruned payload verifiable through its hash', async () => {
    const rows = chain(3);
    rows[0] = { ...rows[0]!, payload: null };
    expect(await verifyAuditChain(rows, [], verifier)).toMatchObject({ ok: true, pruned: 1 });
  });

  it('catches a rewritten and re-chained history against a checkpoint signed before it', async () => {
    const original = chain(4);
    const cp = checkpoint(original[3]!);
    // recompute every hash after changing entry 2: the chain is consistent again, the checkpoint is not
    const rewritten = chain(4).map((r) => (r.seq === 2 ? { ...r, actor: 'someone.else' } : r));
    let prev = GENESIS_HASH;
    for (const r of rewritten) {
      r.prevHash = prev;
      r.hash = entryHash(r);
      prev = r.hash;
    }
    const r = await verifyAuditChain(rewritten, [], verifier, { externalCheckpoints: [cp] });
    expect(r.ok).toBe(false);
    expect(r.firstBad?.problem).toMatch(/external checkpoint 4/);
  });

  it('refuses a checkpoint signed by another key', async () => {
    const rows = chain(2);
    const other = signerFromPem(generateSigningPem());
    const { json, signature } = signJson(other, {
      format: CHECKPOINT_FORMAT,
      seq: 2,
      hash: rows[1]!.hash,
      at: rows[1]!.at,
    });
    const forged = {
      ...checkpoint(rows[1]!),
      statement: json,
      signature: Buffer.from(signature).toString('base64'),
    };
    expect((await verifyAuditChain(rows, [forged], verifier)).firstBad?.problem).toMatch(/signature invalid/);
  });
});
