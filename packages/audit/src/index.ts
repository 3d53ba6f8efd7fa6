/** @lagebild/audit: the hash-chained audit log, its PostgreSQL appender and its verifier. */
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
export { type AuditProblem, type AuditVerifyResult, verifyAuditChain } from './verify.ts';
