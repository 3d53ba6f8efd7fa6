/**
 * What the soak samples of a process from /proc (Linux): resident memory and open file descriptors,
 * with a process's children summed in (PostgreSQL runs a backend per connection).
 */
import { readdir, readFile } from 'node:fs/promises';

async function statusOf(pid: number): Promise<{ rssKb: number; ppid: number } | null> {
  try {
    const text = await readFile(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
    return { rssKb: field('VmRSS'), ppid: field('PPid') };
  } catch {
    return null;
  }
}

const fdCount = async (pid: number) => (await readdir(`/proc/${pid}/fd`).catch(() => [])).length;

/** every live pid with its parent */
async function processTable(): Promise<Map<number, number>> {
  const table = new Map<number, number>();
  for (const name of await readdir('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const s = await statusOf(pid);
    if (s) table.set(pid, s.ppid);
  }
  return table;
}

export interface ProcessSample {
  rssMb: number;
  fds: number;
  processes: number;
}

/** RSS and fds of `pid`, and of its descendants when `withChildren` */
export async function sampleProcess(pid: number, withChildren = false): Promise<ProcessSample | null> {
  const pids = [pid];
  if (withChildren) {
    const table = await processTable();
    for (let i = 0; i < pids.length; i++)
      for (const [child, parent] of table) if (parent === pids[i]) pids.push(child);
  }
  let rssKb = 0;
  let fds = 0;
  let alive = 0;
  for (const p of pids) {
    const s = await statusOf(p);
    if (!s) continue;
    alive++;
    rssKb += s.rssKb;
    fds += await fdCount(p);
  }
  return alive === 0 ? null : { rssMb: Math.round(rssKb / 102.4) / 10, fds, processes: alive };
}

/** the pid of the PostgreSQL server whose data directory is `dataDir` */
export async function postmasterPid(dataDir: string): Promise<number | null> {
  const text = await readFile(`${dataDir}/postmaster.pid`, 'utf8').catch(() => '');
  const pid = Number(text.split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}
