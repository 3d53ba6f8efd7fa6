/**
 * The optional AES-256-GCM binding (`native/`, issue 17): seals and opens a chunk straight into a
 * buffer the vault owns (or in place), where node:crypto's `Cipher.update` allocates and copies a new
 * buffer per chunk; that allocation, not the AES, was most of the writer's and reader's time. Built
 * at setup by `native/build-native.ts`; when it is missing, fails to load, or
 * `LAGEBILD_VAULT_NATIVE=0` is set, `nativeGcm` is null and the vault uses node:crypto, which
 * produces the same bytes (tested in `chunk-key.test.ts`).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** an EVP_CIPHER_CTX with the key schedule set once; freed by `destroy` or by GC */
export type GcmContext = { readonly __gcmContext: unique symbol };

export interface GcmBinding {
  create(key: Buffer, encrypt: boolean): GcmContext;
  /** ciphertext at out[offset…], the 16-byte tag right after it */
  seal(ctx: GcmContext, iv: Buffer, aad: Buffer, plain: Buffer, out: Buffer, offset: number): void;
  /** false: the tag does not match (the output is wiped to zeros); out may be `cipher` itself */
  open(
    ctx: GcmContext,
    iv: Buffer,
    aad: Buffer,
    cipher: Buffer,
    tag: Buffer,
    out: Buffer,
    offset: number,
  ): boolean;
  /**
   * `open` for the ciphertext src[srcOffset, srcOffset + length) and the 16-byte tag right after it,
   * without a Buffer view per record (the reader opens many records out of one read buffer). Absent
   * from a binding built before it existed; callers fall back to `open`.
   */
  openAt?(
    ctx: GcmContext,
    iv: Buffer,
    aad: Buffer,
    src: Buffer,
    srcOffset: number,
    length: number,
    out: Buffer,
    offset: number,
  ): boolean;
  destroy(ctx: GcmContext): void;
}

export const BINDING_PATH = join(
  import.meta.dirname,
  '..',
  'native',
  'build',
  'Release',
  'lagebild_gcm.node',
);

function load(): { binding: GcmBinding | null; why: string } {
  if (process.env.LAGEBILD_VAULT_NATIVE === '0') return { binding: null, why: 'LAGEBILD_VAULT_NATIVE=0' };
  try {
    const binding = createRequire(import.meta.url)(BINDING_PATH) as GcmBinding;
    return { binding, why: 'loaded' };
  } catch (err) {
    return { binding: null, why: `not loaded (${(err as Error).message.split('\n')[0]})` };
  }
}

const loaded = load();
/** the binding, or null when node:crypto is used */
export const nativeGcm: GcmBinding | null = loaded.binding;
/** why the binding is or is not used (for benchmarks and logs) */
export const nativeGcmStatus: string = loaded.why;
