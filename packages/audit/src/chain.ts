/**
 * The audit chain's arithmetic, shared by the appender and every verifier: the canonical encoding
 * of an entry, its hash (which covers the previous entry's hash), the payload hash that survives
 * pruning, and the signed checkpoint statement.
 */
import { canonicalJson, sha256 } from '@lagebild/vault';

export const GENESIS_HASH = '0'.repeat(64);
export const CHECKPOINT_FORMAT = 'lagebild-audit-checkpoint/1';

export interface AuditRecord {
  seq: number;
  tenantId: string | null;
  /** epoch ms */
  at: number;
  actor: string | null;
  action: string;
  target: string | null;
  reason: string | null;
  recipient: string | null;
  /** null once pruned after the legal period */
  payload: Record<string, unknown> | null;
  payloadHash: string;
  prevHash: string;
  hash: string;
}

export const payloadHash = (payload: Record<string, unknown> | null): string =>
  sha256(canonicalJson(payload ?? null));

export const entryHash = (e: Omit<AuditRecord, 'hash' | 'payload'>): string => sha256(entryHashInput(e));

/** The exact bytes an entry's hash is taken of (an export bundle ships them: `sha256sum` checks them). */
export function entryHashInput(e: Omit<AuditRecord, 'hash' | 'payload'>): string {
  return canonicalJson({
    v: 1,
    seq: e.seq,
    tenant: e.tenantId,
    at: e.at,
    actor: e.actor,
    action: e.action,
    target: e.target,
    reason: e.reason,
    recipient: e.recipient,
    payload: e.payloadHash,
    prev: e.prevHash,
  });
}

export interface CheckpointStatement {
  format: typeof CHECKPOINT_FORMAT;
  seq: number;
  hash: string;
  at: number;
}

export interface Checkpoint {
  seq: number;
  hash: string;
  at: number;
  /** the exact signed bytes: canonicalJson(CheckpointStatement) */
  statement: string;
  /** base64 raw Ed25519 */
  signature: string;
  signingKey: string;
}

/** Strips characters PostgreSQL's jsonb refuses, so what is hashed is what is stored. */
export function storablePayload(
  p: Record<string, unknown> | undefined | null,
): Record<string, unknown> | null {
  if (!p) return null;
  return JSON.parse(JSON.stringify(p).replace(/\\u0000/g, ''));
}
