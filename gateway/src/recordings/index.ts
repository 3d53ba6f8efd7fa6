/// <reference types="@fastify/cookie" />
/** @lagebild/gateway/recordings: what the recorder side and the tests call around the vault writer. */

export { type AuditLog, actorOf, createAuditLog } from '../audit/audit-log.ts';
export { type ImportOptions, importRecording } from './import-recording.ts';
export { beginRecording, completeRecording, getRecordingRow } from './recording-rows.ts';
export { createRetentionSweeper, type RetentionSweeper } from './retention-sweeper.ts';
