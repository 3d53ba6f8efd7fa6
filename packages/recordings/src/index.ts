/**
 * @lagebild/recordings: one recording's life in the database and the vault, shared by the SFU's live
 * recorder and the gateway's file import: the row (begin → complete), the vault writer between, the
 * audit entries at start and seal.
 */
export {
  allowedPrerecordS,
  beginRecording,
  CONTINUE_WITHIN_MS,
  completeRecording,
  finishOrphanedRecordings,
  linkContinuation,
  linkOpenIncident,
} from './recording-rows.ts';
export {
  type OpenRecordingOptions,
  type RecordingSession,
  type RecordingTiming,
  startRecordingSession,
} from './recording-session.ts';
export { type RecoveredRecording, recoverLeftRecording } from './recover-recording.ts';
