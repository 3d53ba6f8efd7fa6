/**
 * A recording's data key as the chunk cipher uses it: contexts of the native AES-256-GCM binding
 * (`native-gcm.ts`, key schedule set once, output into the vault's own buffers) when it is built,
 * else a secret KeyObject for node:crypto (one copy instead of `createCipheriv` building one per
 * chunk from raw bytes). Raw bytes are accepted too. All three produce the same bytes.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import { type GcmContext, nativeGcm } from './native-gcm.ts';

export interface NativeChunkKey {
  readonly seal: GcmContext;
  readonly open: GcmContext;
}

export type ChunkKey = Buffer | KeyObject | NativeChunkKey;

export const isNativeChunkKey = (key: ChunkKey): key is NativeChunkKey =>
  !Buffer.isBuffer(key) && 'seal' in key && 'open' in key;

/** the fastest form of a 32-byte data key available here; the caller may wipe `raw` afterwards */
export function createChunkKey(raw: Buffer): ChunkKey {
  if (nativeGcm) return { seal: nativeGcm.create(raw, true), open: nativeGcm.create(raw, false) };
  return createSecretKey(raw);
}

/** wipes the native contexts' key schedules now instead of at garbage collection */
export function destroyChunkKey(key: ChunkKey): void {
  if (nativeGcm && isNativeChunkKey(key)) {
    nativeGcm.destroy(key.seal);
    nativeGcm.destroy(key.open);
  }
}
