/**
 * What the soak samples of a process from /proc (Linux): resident memory and open file descriptors,
 * with a process's children summed in (PostgreSQL runs a backend per connection).
 */
import { readdir, readFile } from 'node:fs/promises';

async function statusOf(pid: number): Promise<{ rssKb: number; shmemKb: number; ppid: number } | null> {
  try {
    const text = await readFile(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return { rssKb: field('VmRSS'), shmemKb: field('RssShmem'), ppid: field('PPid') };
  } catch {
    return null;
  }
}

const fdCount = async (pid: number) => (await readdir(`/proc/${pid}/fd`).catch(() => [])).length;

/**
 * the children of `pid`, from each of its threads' `children` list: only the process's own
 * descendants are read, never the whole process table (on a loaded, shared machine a walk over every
 * process took minutes of the driver's event loop)
 */
async function childrenOf(pid: number): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const lists = await Promise.all(
    tasks.map((t) => readFile(`/proc/${pid}/task/${t}/children`, 'utf8').catch(() => '')),
  );
  return lists.flatMap((l) => l.split(' ').filter(Boolean).map(Number));
}

export interface ProcessSample {
  rssMb: number;
  /**
   * of it, shared memory (summed over the processes as RSS is): PostgreSQL's shared buffers, which
   * every backend counts again as it touches them, filling up to `shared_buffers` as tables grow
   */
  shmemMb: number;
  fds: number;
  processes: number;
}

/** RSS and fds of `pid`, and of its descendants when `withChildren` */
export async function sampleProcess(pid: number, withChildren = false): Promise<ProcessSample | null> {
  const pids = [pid];
  if (withChildren) for (let i = 0; i < pids.length; i++) pids.push(...(await childrenOf(pids[i]!)));
  const each = await Promise.all(pids.map(async (p) => ({ s: await statusOf(p), fds: await fdCount(p) })));
  let rssKb = 0;
  let shmemKb = 0;
  let fds = 0;
  let alive = 0;
  for (const e of each) {
    if (!e.s) continue;
    alive++;
    rssKb += e.s.rssKb;
    shmemKb += e.s.shmemKb;
    fds += e.fds;
  }
  const mb = (kb: number) => Math.round(kb / 102.4) / 10;
  return alive === 0 ? null : { rssMb: mb(rssKb), shmemMb: mb(shmemKb), fds, processes: alive };
}

/** the pid of the PostgreSQL server whose data directory is `dataDir` */
export async function postmasterPid(dataDir: string): Promise<number | null> {
  const text = await readFile(`${dataDir}/postmaster.pid`, 'utf8').catch(() => '');
  const pid = Number(text.split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}
