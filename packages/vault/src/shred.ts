/**
 * Crypto-shredding of one recording: first a signed deletion receipt (what was deleted, its manifest
 * hashes, when, why) is stored outside the recording's folder, then the wrapped data key is
 * destroyed, then the ciphertext, manifest and signature are removed. Copies of key.json in a backup
 * stay unreadable only once the KEK that wrapped them is gone: with the HSM keyring that is the
 * deletion day's key, which the retention sweeper destroys inside the module (issue 13). Every step tolerates its effect already being done, so running
 * it again after a crash finishes the job and returns the same receipt.
 */
import {
  DELETION_RECEIPT_FORMAT,
  type DeletionReceipt,
  DeletionReceipt as DeletionReceiptSchema,
  RecordingManifest,
} from '@lagebild/protocol';
import { VaultError } from './errors.ts';
import { type Signer, sha256, signJson } from './signing.ts';
import { keyObject, manifestObject, recordingPrefix, type VaultStore } from './store.ts';

export const receiptObject = (tenantId: string, recordingId: string) =>
  `${tenantId}/receipts/${recordingId}.json`;
export const receiptSignatureObject = (tenantId: string, recordingId: string) =>
  `${tenantId}/receipts/${recordingId}.sig`;

export interface ShredOptions {
  store: VaultStore;
  signer: Signer;
  tenantId: string;
  recordingId: string;
  deviceId: string;
  cause: string;
  now: () => number;
  /** test hook: called between the steps, so a test can "kill" the shredder midway */
  onStep?: (step: 'receipt' | 'key' | 'ciphertext') => void | Promise<void>;
}

export interface ShredResult {
  receipt: DeletionReceipt;
  receiptJson: string;
  signature: Buffer;
}

export async function shredRecording(o: ShredOptions): Promise<ShredResult> {
  const { store, tenantId, recordingId } = o;
  let receiptJson = (await store.get(receiptObject(tenantId, recordingId)))?.toString('utf8');
  let signature = await store.get(receiptSignatureObject(tenantId, recordingId));
  if (!receiptJson || !signature) {
    const raw = await store.get(manifestObject(tenantId, recordingId));
    const manifest = raw ? RecordingManifest.safeParse(JSON.parse(raw.toString('utf8'))) : null;
    const m = manifest?.success ? manifest.data : null;
    const receipt: DeletionReceipt = {
      format: DELETION_RECEIPT_FORMAT,
      recordingId,
      tenantId,
      deviceId: o.deviceId,
      startedAt: m?.startedAt ?? null,
      plaintextSha256: m?.plaintextSha256 ?? null,
      ciphertextSha256: m?.ciphertextSha256 ?? null,
      manifestSha256: raw ? sha256(raw) : null,
      deletedAt: o.now(),
      cause: o.cause,
      signingKey: o.signer.fingerprint,
    };
    const signed = signJson(o.signer, receipt);
    receiptJson = signed.json;
    signature = signed.signature;
    // signature first: a receipt file without its signature is rebuilt on the next run
    await store.put(receiptSignatureObject(tenantId, recordingId), signature);
    await store.put(receiptObject(tenantId, recordingId), receiptJson);
  }
  await o.onStep?.('receipt');
  await store.delete(keyObject(tenantId, recordingId));
  await o.onStep?.('key');
  await store.deletePrefix(recordingPrefix(tenantId, recordingId));
  await o.onStep?.('ciphertext');
  const parsed = DeletionReceiptSchema.safeParse(JSON.parse(receiptJson));
  if (!parsed.success)
    throw new VaultError('tampered', `stored deletion receipt of ${recordingId} is malformed`);
  return { receipt: parsed.data, receiptJson, signature };
}
