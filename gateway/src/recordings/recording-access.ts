/**
 * What the recordings' routes share: loading a recording of the caller's tenant, the vault (or a
 * 503 when recordings are not configured), and vault failures and approval rows as API answers.
 */
import type { Db } from '@lagebild/db';
import type { FourEyesView } from '@lagebild/protocol';
import { type Keyring, openRecording, VaultError, type VaultStore } from '@lagebild/vault';
import type { FastifyRequest } from 'fastify';
import { type AuditEntry, actorOf } from '../audit/audit-log.ts';
import { AppError } from '../errors.ts';
import type { SessionUser } from '../http/session.ts';
import { notFound, type TenantCheck } from '../http/tenant-guard.ts';
import { getRecordingRow, type RecordingRow } from './recording-rows.ts';
import type { VaultContext } from './vault-context.ts';

export interface RecordingAccess {
  /** the vault's store and keyring, or 503 when recordings are not configured */
  requireVault(): Promise<{ store: VaultStore; keyring: Keyring }>;
  /** the recording `id`, if it is of the user's tenant (404 like an unknown id otherwise) */
  load(req: FastifyRequest, user: SessionUser, id: string): Promise<RecordingRow>;
  /** a playable recording's video from the vault (409 if deleted, running or damaged), and its store */
  openPlayable(rec: RecordingRow): Promise<{ store: VaultStore; opened: OpenedRecording }>;
}

export type OpenedRecording = Awaited<ReturnType<typeof openRecording>>;

export function recordingAccess(db: Db, vault: VaultContext, sameTenant: TenantCheck): RecordingAccess {
  async function requireVault() {
    const keyring = await vault.keyring();
    if (!vault.store || !keyring)
      throw new AppError('unavailable', 'recordings are not configured on this server');
    return { store: vault.store, keyring };
  }
  return {
    requireVault,
    async load(req, user, id) {
      const rec = await getRecordingRow(db.pool, id);
      if (!rec) throw notFound('recording');
      sameTenant(user, rec.tenantId, 'recording', id, req);
      return rec;
    },
    async openPlayable(rec) {
      playable(rec);
      const { store, keyring } = await requireVault();
      const opened = await openVaulted(() =>
        openRecording({
          store,
          keyring,
          tenantId: rec.tenantId,
          recordingId: rec.id,
          verifier: vault.verifier,
        }),
      );
      return { store, opened };
    },
  };
}

/** An audit entry by `user`, in their tenant, about the recording `recordingId`. */
export function recordingAuditEntry(
  user: SessionUser,
  recordingId: string,
  { action, ...rest }: Omit<AuditEntry, 'tenantId' | 'actor' | 'target'>,
): AuditEntry {
  return {
    tenantId: user.tenant.id,
    actor: actorOf(user),
    action,
    target: `recording:${recordingId}`,
    ...rest,
  };
}

/** A deleted or still running recording can be neither played nor exported. */
export function playable(rec: RecordingRow): void {
  if (rec.state === 'deleted') throw new AppError('conflict', 'this recording has been deleted');
  if (rec.state === 'recording') throw new AppError('conflict', 'this recording is still running');
}

/** A `recording_approvals` row as the four-eyes queries select it. */
export interface ApprovalRow {
  id: string;
  recording_id: string;
  action: FourEyesView['action'];
  reason: string;
  extend_days: number | null;
  requested_by: string;
  requested_at: Date;
  state: FourEyesView['state'];
  decided_by: string | null;
  decided_at: Date | null;
}

export function approvalView(a: ApprovalRow): FourEyesView {
  return {
    id: a.id,
    recordingId: a.recording_id,
    action: a.action,
    reason: a.reason,
    extendDays: a.extend_days,
    requestedBy: a.requested_by,
    requestedAt: a.requested_at.getTime(),
    state: a.state,
    decidedBy: a.decided_by,
    decidedAt: a.decided_at?.getTime() ?? null,
  };
}

/** Vault failures as API errors: a damaged recording is a 409 with its reason, never a 500 or a shorter video. */
export async function openVaulted<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof VaultError) {
      if (err.code === 'not_found' || err.code === 'shredded')
        throw new AppError('not_found', 'the video of this recording is gone');
      throw new AppError('conflict', `the recording cannot be played: ${err.code} (${err.message})`);
    }
    throw err;
  }
}
