/** @lagebild/audit: the hash-chained audit log, its PostgreSQL appender and its verifier. */

export {
  ANCHOR_FILE,
  type Anchor,
  type AnchorLine,
  type AnchorRun,
  anchorPending,
  appendToExportTarget,
  loadAnchors,
  pendingCheckpoints,
  readExportTarget,
} from './anchor.ts';
export {
  type AuditRecord,
  CHECKPOINT_FORMAT,
  type Checkpoint,
  entryHash,
  entryHashInput,
  GENESIS_HASH,
  payloadHash,
} from './chain.ts';
export {
  type AuditInput,
  type AuditTarget,
  type AuditTargetKind,
  appendAudit,
  appendAuditIn,
  auditedChange,
  auditTarget,
  type CheckpointPolicy,
  checkpointIfDue,
  checkpointNow,
  exportAuditJsonl,
  type LiveWatchTarget,
  liveWatchTarget,
  loadCheckpoints,
  parseAuditJsonl,
  pruneAuditPayloads,
  readAuditLog,
  recordFromRow,
} from './pg-audit.ts';
export { requestTimestamp, timestampQuery } from './tsa.ts';
export { verifyTimestamp } from './tsa-verify.ts';
export { type AuditProblem, type AuditVerifyResult, verifyAuditChain } from './verify.ts';
export { type AnchorVerifyResult, verifyAnchors } from './verify-anchors.ts';
