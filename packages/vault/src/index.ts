/** @lagebild/vault: encrypted recordings (format, keyring, writer, reader, shredding, export). */
export { type ChunkKey, createChunkKey, destroyChunkKey } from './chunk-key.ts';
export { VaultError, type VaultErrorCode } from './errors.ts';
export {
  type CustodyChain,
  type CustodyEntry,
  createExportBundle,
  type ExportCheck,
  ExportInfo,
  verifyExportBundle,
} from './export-bundle.ts';
export { type RemuxedVideo, remuxForExport } from './export-remux.ts';
export {
  DEFAULT_CHUNK_SIZE,
  decodeHeader,
  encodeHeader,
  FLAG_FINAL,
  FLAG_MORE,
  FLAG_SEGMENT_END,
  HEADER_BYTES,
  openChunk,
  RECORD_OVERHEAD,
  recordBytes,
  sealChunk,
  segmentFile,
} from './format.ts';
export { HsmEnv, hsmConfigOf, hsmIssues, hsmSigningConfigOf, SigningKeyName } from './hsm/hsm-env.ts';
export {
  createHsmKeyring,
  dayKekId,
  type HsmKeyring,
  type KekInfo,
} from './hsm/hsm-keyring.ts';
export {
  type HsmSigningKeyInfo,
  hsmSigner,
  importHsmSigner,
  isSigningKeyOf,
  listHsmPrivateSigningKeys,
  listHsmSigningKeys,
  rotateHsmSigner,
  signingKeyLabel,
  withdrawHsmSigner,
} from './hsm/hsm-signer.ts';
export { type HsmConfig, type HsmToken, openHsmToken } from './hsm/pkcs11-token.ts';
export { ensureSoftHsmToken, SOFTHSM_MODULE, type SoftHsmSetup } from './hsm/softhsm.ts';
export { ingestFile, makeTestVideo } from './ingest.ts';
export { type KeySource, type KeySourceOptions, openKeySource } from './key-source.ts';
export {
  createKeyring,
  emptyKeyringFile,
  ensureKeyringFile,
  ensureTenants,
  type FileKeyring,
  type Keyring,
  KeyringFile,
  loadKeyringFile,
  rotateTenantKey,
  saveKeyringFile,
  type WrappedKey,
} from './keyring.ts';
export { type GcmBinding, nativeGcm, nativeGcmStatus } from './native-gcm.ts';
export { pipeRecording, releasesChunksOnCallback } from './pipe-recording.ts';
export {
  loadManifest,
  type OpenedRecording,
  openRecording,
  type RecordingCursor,
  type RecordingStatus,
  readWrappedKey,
  type VerifyReport,
  verifyRecording,
} from './reader.ts';
export { type SealedPrefix, type SealPrefixOptions, sealPrefixOnDisk } from './seal-prefix.ts';
export { receiptObject, receiptSignatureObject, type ShredResult, shredRecording } from './shred.ts';
export {
  canonicalJson,
  ensureSigningKeyFile,
  generateSigningPem,
  loadSigningKeyFile,
  publicKeyPath,
  type Signer,
  sha256,
  signerFromPem,
  signJson,
  type Verifier,
  verifierFromPem,
} from './signing.ts';
export {
  type AppendHandle,
  keyObject,
  localFolderStore,
  manifestObject,
  memoryStore,
  openForReading,
  type ReadHandle,
  recordingPrefix,
  reserveObject,
  segmentObject,
  signatureObject,
  type VaultStore,
} from './store.ts';
export { createDecryptStream, createEncryptStream } from './streams.ts';
export {
  createRecordingWriter,
  type RecordingWriter,
  type RecordingWriterOptions,
  type SealedRecording,
  type SealOptions,
} from './writer.ts';
