/**
 * Where encrypted recordings live. The vault only ever hands ciphertext, wrapped keys and signed
 * JSON to a store; plaintext never reaches it. The default is a local folder
 * (`<root>/<tenant>/<recording>/…`); a store for multi-node installs (e.g. S3-compatible with
 * object lock) would implement the same interface — none exists yet.
 */
import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  truncate,
} from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { VaultError } from './errors.ts';

export interface AppendHandle {
  append(data: Buffer): Promise<void>;
  /** flushes to stable storage (called when a segment is sealed) */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** An object opened for reading at offsets into the caller's buffers (the reader's path). */
export interface ReadHandle {
  /**
   * Reads `length` bytes at `position` into buf[offset…] and returns how many it read: fewer only
   * where the object ends.
   */
  read(buf: Buffer, offset: number, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

export interface VaultStore {
  /** creates the object (fails if it exists) for appending */
  create(key: string): Promise<AppendHandle>;
  /** writes a whole object atomically (temporary name, then rename) */
  put(key: string, data: Buffer | string): Promise<void>;
  get(key: string): Promise<Buffer | null>;
  read(key: string, offset: number, length: number): Promise<Buffer>;
  /**
   * Opens an object for many reads into buffers the caller reuses (one open per segment instead of
   * one per read, and no new buffer per read). Optional: `openForReading` falls back to `read`.
   */
  openRead?(key: string): Promise<ReadHandle>;
  size(key: string): Promise<number | null>;
  /** epoch ms of the object's last change; null if unknown or missing */
  modifiedAt(key: string): Promise<number | null>;
  /** object names directly below a prefix, sorted */
  list(prefix: string): Promise<string[]>;
  /** removes an object; removing a missing one is not an error (the sweeper may run twice) */
  delete(key: string): Promise<void>;
  /** cuts an object to its first `length` bytes (a torn tail after a crash or a full disk) */
  truncate(key: string, length: number): Promise<void>;
  /** removes an empty prefix (folder) if the backend has such a thing */
  deletePrefix(prefix: string): Promise<void>;
}

export function localFolderStore(root: string): VaultStore {
  const base = resolve(root);
  const path = (key: string) => {
    const p = resolve(base, key);
    if (p !== base && !p.startsWith(base + sep))
      throw new VaultError('bad_format', `key escapes the store: ${key}`);
    return p;
  };
  const missing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';
  return {
    async create(key) {
      const p = path(key);
      await mkdir(dirname(p), { recursive: true, mode: 0o700 });
      const fh: FileHandle = await open(p, 'wx', 0o600);
      return {
        async append(data) {
          let off = 0;
          while (off < data.length) off += (await fh.write(data, off, data.length - off)).bytesWritten;
        },
        sync: () => fh.sync(),
        close: () => fh.close(),
      };
    },
    async put(key, data) {
      const p = path(key);
      await mkdir(dirname(p), { recursive: true, mode: 0o700 });
      const tmp = `${p}.${process.pid}.${Date.now()}.tmp`;
      const fh = await open(tmp, 'w', 0o600);
      try {
        await fh.writeFile(data);
        await fh.sync();
      } catch (err) {
        // a full disk must not leave half an object behind
        await fh.close().catch(() => {});
        await rm(tmp, { force: true });
        throw err;
      }
      await fh.close();
      await rename(tmp, p);
    },
    async get(key) {
      try {
        return await readFile(path(key));
      } catch (err) {
        if (missing(err)) return null;
        throw err;
      }
    },
    async read(key, offset, length) {
      const fh = await open(path(key), 'r');
      try {
        // filled by the reads below; a short file returns only the part that was read
        const buf = Buffer.allocUnsafe(length);
        const got = await readFully(fh, buf, 0, length, offset);
        return got === length ? buf : buf.subarray(0, got);
      } finally {
        await fh.close();
      }
    },
    async openRead(key) {
      const fh = await open(path(key), 'r');
      return {
        read: (buf, offset, length, position) => readFully(fh, buf, offset, length, position),
        close: () => fh.close(),
      };
    },
    async size(key) {
      try {
        return (await stat(path(key))).size;
      } catch (err) {
        if (missing(err)) return null;
        throw err;
      }
    },
    async modifiedAt(key) {
      try {
        return Math.floor((await stat(path(key))).mtimeMs);
      } catch (err) {
        if (missing(err)) return null;
        throw err;
      }
    },
    async list(prefix) {
      try {
        return (await readdir(path(prefix))).filter((n) => !n.endsWith('.tmp')).sort();
      } catch (err) {
        if (missing(err)) return [];
        throw err;
      }
    },
    async delete(key) {
      await rm(path(key), { force: true });
    },
    async truncate(key, length) {
      await truncate(path(key), length);
    },
    async deletePrefix(prefix) {
      await rm(path(prefix), { recursive: true, force: true });
    },
  };
}

/** reads until `length` bytes or the end of the file; returns the bytes read */
async function readFully(
  fh: FileHandle,
  buf: Buffer,
  offset: number,
  length: number,
  position: number,
): Promise<number> {
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, offset + got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

/** `store.openRead(key)`, or for a store without it a handle whose reads go through `store.read` */
export function openForReading(store: VaultStore, key: string): Promise<ReadHandle> {
  if (store.openRead) return store.openRead(key);
  return Promise.resolve({
    async read(buf, offset, length, position) {
      const b = await store.read(key, position, length);
      return b.copy(buf, offset, 0, Math.min(b.length, length));
    },
    async close() {},
  });
}

/** Object names of one recording. */
export const recordingPrefix = (tenantId: string, recordingId: string) => `${tenantId}/${recordingId}`;
export const keyObject = (tenantId: string, recordingId: string) =>
  `${recordingPrefix(tenantId, recordingId)}/key.json`;
export const manifestObject = (tenantId: string, recordingId: string) =>
  `${recordingPrefix(tenantId, recordingId)}/manifest.json`;
export const signatureObject = (tenantId: string, recordingId: string) =>
  `${recordingPrefix(tenantId, recordingId)}/manifest.sig`;
export const segmentObject = (tenantId: string, recordingId: string, file: string) =>
  `${recordingPrefix(tenantId, recordingId)}/${file}`;
/**
 * Space a live recording holds back from the start (zeros), released to write its manifest when the
 * disk fills up: a prefix can be sealed even then (issue 14).
 */
export const reserveObject = (tenantId: string, recordingId: string) =>
  `${recordingPrefix(tenantId, recordingId)}/reserve.bin`;

/** An in-memory store for tests and benchmarks (same semantics as the folder store). */
export function memoryStore(): VaultStore & { objects: Map<string, Buffer> } {
  const objects = new Map<string, Buffer>();
  const children = (prefix: string) => {
    const p = prefix.endsWith('/') ? prefix : `${prefix}/`;
    const names = new Set<string>();
    for (const k of objects.keys()) if (k.startsWith(p)) names.add(k.slice(p.length).split('/')[0]!);
    return [...names].sort();
  };
  return {
    objects,
    async create(key) {
      if (objects.has(key)) throw new VaultError('invalid_state', `${key} exists`);
      objects.set(key, Buffer.alloc(0));
      return {
        async append(data) {
          objects.set(key, Buffer.concat([objects.get(key) ?? Buffer.alloc(0), data]));
        },
        async sync() {},
        async close() {},
      };
    },
    async put(key, data) {
      objects.set(key, Buffer.from(data));
    },
    async get(key) {
      return objects.get(key) ?? null;
    },
    async read(key, offset, length) {
      const b = objects.get(key);
      if (!b) throw new VaultError('not_found', `${key} is missing`);
      return Buffer.from(b.subarray(offset, offset + length));
    },
    async openRead(key) {
      if (!objects.has(key)) throw new VaultError('not_found', `${key} is missing`);
      return {
        // the object as it is at each read, like a file that is appended to or cut
        async read(buf, offset, length, position) {
          const b = objects.get(key) ?? Buffer.alloc(0);
          return b.copy(buf, offset, Math.min(position, b.length), Math.min(position + length, b.length));
        },
        async close() {},
      };
    },
    async size(key) {
      return objects.get(key)?.length ?? null;
    },
    async modifiedAt() {
      return null;
    },
    async list(prefix) {
      return children(prefix);
    },
    async delete(key) {
      objects.delete(key);
    },
    async truncate(key, length) {
      const b = objects.get(key);
      if (b) objects.set(key, Buffer.from(b.subarray(0, length)));
    },
    async deletePrefix(prefix) {
      for (const k of [...objects.keys()]) if (k.startsWith(`${prefix}/`)) objects.delete(k);
    },
  };
}
