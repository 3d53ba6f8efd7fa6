/**
 * @lagebild/recordings: one recording's life in the database and the vault, shared by the SFU's live
 * recorder and the gateway's file import: the row (begin → complete), the vault writer between, the
 * audit entries at start and seal.
 */
export {
  allowedPrerecordS,
  beginRecording,
  completeRecording,
  finishOrphanedRecordings,
  linkOpenIncident,
} from './recording-rows.ts';
export {
  type OpenRecordingOptions,
  type RecordingSession,
  startRecordingSession,
} from './recording-session.ts';
