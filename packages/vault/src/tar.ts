/**
 * Just enough ustar to write and read export bundles without a dependency: regular files only,
 * names under 100 bytes. `tar -xf bundle.tar` unpacks them with any tar.
 */
import { open } from 'node:fs/promises';

const BLOCK = 512;

export function tarHeader(name: string, size: number, mtimeMs: number): Buffer {
  if (Buffer.byteLength(name) >= 100) throw new Error(`tar: name too long: ${name}`);
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 'utf8');
  h.write('0000644\0', 100, 'ascii');
  h.write('0000000\0', 108, 'ascii');
  h.write('0000000\0', 116, 'ascii');
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  h.write(
    `${Math.floor(mtimeMs / 1000)
      .toString(8)
      .padStart(11, '0')}\0`,
    136,
    'ascii',
  );
  h.write('        ', 148, 'ascii');
  h.write('0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

export const tarPadding = (size: number): Buffer => Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
export const tarEnd = (): Buffer => Buffer.alloc(BLOCK * 2);

export interface TarEntry {
  name: string;
  offset: number;
  size: number;
}

/** Lists the entries of a tar file (name, data offset, size). */
export async function listTar(path: string): Promise<TarEntry[]> {
  const fh = await open(path, 'r');
  try {
    const entries: TarEntry[] = [];
    const total = (await fh.stat()).size;
    let pos = 0;
    const h = Buffer.alloc(BLOCK);
    while (pos + BLOCK <= total) {
      await fh.read(h, 0, BLOCK, pos);
      if (h.every((b) => b === 0)) break;
      const name = h.toString('utf8', 0, 100).replace(/\0.*$/s, '');
      const size = Number.parseInt(h.toString('ascii', 124, 136).replace(/\0.*$/s, '').trim(), 8);
      if (!Number.isFinite(size)) throw new Error(`tar: bad size for ${name}`);
      entries.push({ name, offset: pos + BLOCK, size });
      pos += BLOCK + size + ((BLOCK - (size % BLOCK)) % BLOCK);
    }
    return entries;
  } finally {
    await fh.close();
  }
}
