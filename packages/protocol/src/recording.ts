/**
 * Recordings, retention and the audit log (issue #6): the signed manifest the recorder writes at the
 * end of a recording, the deletion receipt the sweeper leaves, and the HTTP bodies of the recordings
 * library and the audit view. The manifest and the receipt are signed byte-for-byte as
 * `canonicalJson(value)` (sorted keys, no whitespace), so an outside party can check them with
 * `openssl pkeyutl -verify -rawin`.
 */
import { z } from 'zod';
import { EpochMs, Id, type Role } from './common.ts';

export const RECORDING_FORMAT = 'lagebild-recording/1';

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

export const ManifestSegment = z.object({
  index: z.number().int().min(0),
  /** object name inside the recording's folder, e.g. seg-000000.lbv */
  file: z.string().regex(/^seg-\d{6}\.lbv$/),
  firstChunk: z.number().int().min(0),
  chunks: z.number().int().min(1),
  bytes: z.number().int().min(0),
  sha256: Sha256Hex,
});
export type ManifestSegment = z.infer<typeof ManifestSegment>;

/**
 * Why a recording ended before its stream did (issue 14): ffmpeg died, the mediasoup worker died, the
 * SFU restarted (killed: sealed from disk at its next start; or shut down), the recordings' disk
 * filled up, or another write failure. The recording is then a sealed prefix, and a recording of the
 * same device that starts soon after continues it.
 */
export const CutReason = z.enum(['ffmpeg_exit', 'worker_died', 'sfu_restart', 'disk_full', 'write_failed']);
export type CutReason = z.infer<typeof CutReason>;

export const RecordingManifest = z.object({
  format: z.literal(RECORDING_FORMAT),
  recordingId: Id,
  tenantId: Id,
  deviceId: Id,
  startedAt: EpochMs,
  stoppedAt: EpochMs,
  /** seconds at the start that came from the device's pre-recording buffer (0 = none) */
  prerecordS: z.number().min(0).max(600),
  mediaType: z.string().max(100),
  chunkSize: z
    .number()
    .int()
    .min(1024)
    .max(16 * 1024 * 1024),
  chunkCount: z.number().int().min(1),
  plaintextBytes: z.number().int().min(0),
  /** SHA-256 of the decrypted video (what an export contains) */
  plaintextSha256: Sha256Hex,
  /** SHA-256 of the segment files concatenated in order (`cat seg-*.lbv | sha256sum`) */
  ciphertextSha256: Sha256Hex,
  segments: z.array(ManifestSegment).min(1),
  /** key-encryption key that wrapped the data key */
  kekId: z.string().min(1).max(64),
  /** fingerprint of the Ed25519 key that signs this manifest (SHA-256 of its SPKI DER, hex) */
  signingKey: Sha256Hex,
  /**
   * set on a prefix: the stream went on after this recording ended (issue 14). `finalChunk` false:
   * sealed afterwards from what was on disk (SFU killed, disk full), so its last chunk is not flagged
   * final; the chunk count, segment sizes and hashes signed here are then what proves its end.
   */
  cut: z.object({ reason: CutReason, finalChunk: z.boolean() }).optional(),
  /** the prefix this recording continues (same device, same stream), and why that one was cut */
  continues: z.object({ recordingId: Id, reason: CutReason }).optional(),
});
export type RecordingManifest = z.infer<typeof RecordingManifest>;

export const DELETION_RECEIPT_FORMAT = 'lagebild-deletion-receipt/1';
export const DeletionReceipt = z.object({
  format: z.literal(DELETION_RECEIPT_FORMAT),
  recordingId: Id,
  tenantId: Id,
  deviceId: Id,
  startedAt: EpochMs.nullable(),
  plaintextSha256: Sha256Hex.nullable(),
  ciphertextSha256: Sha256Hex.nullable(),
  /** SHA-256 of the canonical manifest that was deleted, null if the recording never got one */
  manifestSha256: Sha256Hex.nullable(),
  deletedAt: EpochMs,
  /** why: `retention_expired` (sweeper) or `early_deletion` (four-eyes approval id) */
  cause: z.string().max(200),
  signingKey: Sha256Hex,
});
export type DeletionReceipt = z.infer<typeof DeletionReceipt>;

// ---- retention --------------------------------------------------------------------------------

export const RetentionClass = z.enum(['standard', 'evidence', 'legal_hold']);
export type RetentionClass = z.infer<typeof RetentionClass>;
export const RecordingState = z.enum(['recording', 'complete', 'incomplete', 'deleted']);
export type RecordingState = z.infer<typeof RecordingState>;

/** Who may open the recordings library and play (export: supervisor and admin only). Evaluators never see video. */
export const RECORDING_ROLES: readonly Role[] = ['admin', 'supervisor', 'operator'];
/** Who may mark evidence, release it, or consent to a four-eyes request. */
export const RETENTION_ROLES: readonly Role[] = ['admin', 'supervisor'];
export const AUDIT_ROLES: readonly Role[] = ['admin'];

const Reason = z.string().trim().min(5).max(500);

export const RecordingView = z.object({
  id: Id,
  deviceId: Id,
  deviceLabel: z.string(),
  unitId: Id.nullable(),
  callsign: z.string().nullable(),
  incidentId: Id.nullable(),
  startedAt: EpochMs,
  stoppedAt: EpochMs.nullable(),
  durationS: z.number().nullable(),
  bytes: z.number().int(),
  state: RecordingState,
  retention: RetentionClass,
  caseReference: z.string().nullable(),
  retentionReason: z.string().nullable(),
  /** when the sweeper deletes it; null while held (evidence / legal hold) or already deleted */
  deleteAt: EpochMs.nullable(),
  deletedAt: EpochMs.nullable(),
  mediaType: z.string(),
  /** a prefix: why it ended before its stream (issue 14); null for a recording that ran to its end */
  cutReason: CutReason.nullable(),
  /** the prefix this recording continues, and the recording that continues this one */
  continues: Id.nullable(),
  continuedBy: Id.nullable(),
});
export type RecordingView = z.infer<typeof RecordingView>;

export const RecordingsQuery = z.object({
  unitId: Id.optional(),
  incidentId: Id.optional(),
  retention: RetentionClass.optional(),
  state: RecordingState.optional(),
  from: z.coerce.number().int().min(0).optional(),
  to: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type RecordingsQuery = z.infer<typeof RecordingsQuery>;
export const RecordingsResponse = z.object({
  recordings: z.array(RecordingView),
  retentionDays: z.number().int(),
  now: EpochMs,
});
export type RecordingsResponse = z.infer<typeof RecordingsResponse>;

/** Playback needs a reason; the answer is a short-lived ticket for the Range-capable stream URL. */
export const PlaybackRequest = z.object({ reason: Reason });
export type PlaybackRequest = z.infer<typeof PlaybackRequest>;
export const PlaybackResponse = z.object({ url: z.string(), expiresAt: EpochMs, mediaType: z.string() });
export type PlaybackResponse = z.infer<typeof PlaybackResponse>;

export const MarkEvidenceRequest = z.object({
  reason: Reason,
  caseReference: z.string().trim().min(3).max(100),
  legalHold: z.boolean().default(false),
});
export type MarkEvidenceRequest = z.infer<typeof MarkEvidenceRequest>;
export const ReleaseRequest = z.object({ reason: Reason });
export type ReleaseRequest = z.infer<typeof ReleaseRequest>;

export const ExportRequest = z.object({
  reason: Reason,
  /** e.g. the public prosecutor's file number */
  recipient: z.string().trim().min(3).max(200),
});
export type ExportRequest = z.infer<typeof ExportRequest>;

/**
 * Four-eyes: deleting early, keeping beyond the period, or releasing a held recording back to the
 * standard period (which lets the sweeper delete it: an early deletion by other means, issue 11)
 * needs a request and a superior's consent.
 */
export const FourEyesAction = z.enum(['early_deletion', 'extension', 'release']);
export type FourEyesAction = z.infer<typeof FourEyesAction>;
export const FourEyesRequest = z.object({
  action: FourEyesAction,
  reason: Reason,
  /** extension only: days to keep beyond the normal period */
  extendDays: z.number().int().min(1).max(3650).optional(),
});
export type FourEyesRequest = z.infer<typeof FourEyesRequest>;
export const FourEyesDecision = z.object({ approve: z.boolean(), reason: Reason });
export type FourEyesDecision = z.infer<typeof FourEyesDecision>;
export const FourEyesView = z.object({
  id: Id,
  recordingId: Id,
  action: FourEyesAction,
  reason: z.string(),
  extendDays: z.number().int().nullable(),
  requestedBy: Id,
  requestedAt: EpochMs,
  state: z.enum(['pending', 'approved', 'rejected']),
  decidedBy: Id.nullable(),
  decidedAt: EpochMs.nullable(),
});
export type FourEyesView = z.infer<typeof FourEyesView>;
/** The superiors' consent view: pending requests of the tenant, each with its recording and asker. */
export const PendingApproval = FourEyesView.extend({ recording: RecordingView, requestedByName: z.string() });
export type PendingApproval = z.infer<typeof PendingApproval>;
export const PendingApprovalsResponse = z.object({ approvals: z.array(PendingApproval) });
export type PendingApprovalsResponse = z.infer<typeof PendingApprovalsResponse>;

// ---- audit log ---------------------------------------------------------------------------------

export const AuditAction = z.enum([
  'login',
  'login_failed',
  /** failed logins of unknown usernames, per address and window: one at its start, one with the count */
  'login_failures',
  'logout',
  'forbidden',
  'cross_tenant_refused',
  'device_provisioned',
  'device_revoked',
  'role_changed',
  'unit_created',
  'incident_opened',
  'incident_closed',
  'incident_note',
  'incident_priority_changed',
  /** a unit's stage history was read (§ 76 BDSG) */
  'unit_history_read',
  'alert_acknowledged',
  'dispatch',
  'dispatch_cancelled',
  'live_watch',
  /** an operator or supervisor spoke to a unit's camera from its live tile (issue 16): who, when, how long */
  'talkback',
  'recording_started',
  'recording_sealed',
  'playback',
  'export',
  'evidence_marked',
  'evidence_released',
  'four_eyes_requested',
  'four_eyes_decided',
  'retention_extended',
  'recording_deleted',
  /** key custody (issue 13): a recording's data key wrapped anew (kept longer: evidence key or a later day's) */
  'recording_rewrapped',
  /** a deletion day's key-encryption key destroyed inside the HSM once its recordings were shredded */
  'key_destroyed',
  /** `npm run keys -- rotate`: a new evidence or signing key became current */
  'key_rotated',
  'audit_checkpoint',
  'audit_pruned',
  'policy_changed',
  /** evaluators' baseline periods and statistics exports (CSV, printed report), § 76 BDSG */
  'baseline_created',
  'baseline_deleted',
  'stats_exported',
  /** users administered by their tenant's admins (issue 15); role_changed above is one of them */
  'user_created',
  'user_disabled',
  'user_enabled',
  'password_reset',
  /** a user set their own password (first login with the setup code, or a change) */
  'password_changed',
  'sessions_ended',
  /** the Dienst page (issue 15): teams, units, and a camera handed out to a unit or returned */
  'team_created',
  'team_changed',
  'unit_changed',
  'shift_started',
  'shift_ended',
  /** sign-in (issue 15): TOTP enrolled by the user or reset by an admin; the tenant's sign-in settings */
  'totp_enabled',
  'totp_reset',
  'sign_in_settings_changed',
  /** a sign-in through the identity provider refused (no mapped group, bad token, disabled user) */
  'oidc_login_refused',
]);
export type AuditAction = z.infer<typeof AuditAction>;

/**
 * Who or what an audit entry's raw actor or target id stands for, resolved by the gateway within the
 * reader's own tenant only (an id of another tenant stays unresolved). The raw id stays the record;
 * this is only its readable name.
 */
export const AuditLabel = z.object({
  kind: z.enum(['user', 'device', 'recording', 'system']),
  /** a user's display name, a device's label, a recording's device label, or the system component (`recorder`, `retention`, `audit`, …) */
  label: z.string(),
  /** callsign of the unit: a recording's unit, or the unit the device was on shift with at the time of the entry */
  unit: z.string().optional(),
  /** a recording's start */
  startedAt: EpochMs.optional(),
});
export type AuditLabel = z.infer<typeof AuditLabel>;

export const AuditEntryView = z.object({
  seq: z.number().int(),
  at: EpochMs,
  actor: z.string().nullable(),
  action: z.string(),
  target: z.string().nullable(),
  reason: z.string().nullable(),
  recipient: z.string().nullable(),
  payload: z.record(z.string(), z.unknown()).nullable(),
  hash: z.string(),
  /** readable name of `actor`, when the gateway could resolve it in the reader's tenant */
  actorLabel: AuditLabel.optional(),
  /** readable name of `target` (`device:<id>`, a bare device id, `recording:<id>`), likewise */
  targetLabel: AuditLabel.optional(),
});
export type AuditEntryView = z.infer<typeof AuditEntryView>;
export const AuditQuery = z.object({
  action: z.string().max(50).optional(),
  actor: z.string().max(100).optional(),
  target: z.string().max(100).optional(),
  from: z.coerce.number().int().min(0).optional(),
  to: z.coerce.number().int().min(0).optional(),
  beforeSeq: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type AuditQuery = z.infer<typeof AuditQuery>;
export const AuditResponse = z.object({ entries: z.array(AuditEntryView) });
export type AuditResponse = z.infer<typeof AuditResponse>;
