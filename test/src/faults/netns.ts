/**
 * A network namespace a fault test makes for itself (root, `ip` and `iptables`; infra/bin/setup.sh
 * installs iptables in test mode): a veth pair from the host into it, 10.<a>.<b>.1 on the host's end
 * and .2 inside, and in it iptables rules that drop a random share of the TCP packets to and from
 * one port (`-m statistic --mode random --probability p -j DROP`, the kernel's xt_statistic), so TCP
 * itself sees the loss and retransmits. A service runs inside with `prefix` (spawnService's). Not
 * netem: this kernel has no sch_netem, so latency is added above TCP by a TCP proxy instead.
 * `remove()` deletes the namespace, and with it the veth pair and its rules.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface NetNamespace {
  name: string;
  /** the host's end of the veth pair */
  hostAddress: string;
  /** the namespace's end: a service inside listens here */
  nsAddress: string;
  /** spawnService's `prefix`: runs a command inside the namespace */
  prefix: string[];
  /** drops `probability` of the TCP packets to and from `port` inside the namespace, both ways */
  dropRandom(port: number, probability: number): Promise<void>;
  /** removes the drop rules (counters stay readable until then) */
  stopDropping(): Promise<void>;
  /** packets the rules saw and dropped so far */
  lossCounters(): Promise<{ seen: number; dropped: number }>;
  /** TCP segments retransmitted inside the namespace so far (the kernel's TcpRetransSegs) */
  tcpRetransmits(): Promise<number>;
  remove(): Promise<void>;
}

/** Why a namespace with iptables cannot be made here, or null. */
export function netnsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (ip netns add)';
  for (const [tool, args] of [
    ['ip', ['-V']],
    ['iptables', ['-V']],
  ] as const) {
    try {
      execFileSync(tool, args, { stdio: 'ignore' });
    } catch {
      return `\`${tool}\` is not installed (infra/bin/setup.sh installs it in test mode)`;
    }
  }
  return null;
}

const CHAIN = 'LB_LOSS';

export async function makeNetNamespace(tag: string): Promise<NetNamespace> {
  const id = process.pid % 10_000;
  const name = `lb-${tag}-${id}`;
  // interface names are at most 15 characters
  const hostIf = `lbh${id}`;
  const nsIf = `lbn${id}`;
  const net = `10.${200 + (id % 50)}.${id % 250}`;
  const hostAddress = `${net}.1`;
  const nsAddress = `${net}.2`;
  const inNs = (cmd: string, ...args: string[]) => run('ip', ['netns', 'exec', name, cmd, ...args]);
  // a namespace left by a killed earlier run of this pid
  await run('ip', ['netns', 'del', name]).catch(() => {});
  await run('ip', ['netns', 'add', name]);
  try {
    await run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf, 'netns', name]);
    await run('ip', ['addr', 'add', `${hostAddress}/30`, 'dev', hostIf]);
    await run('ip', ['link', 'set', hostIf, 'up']);
    await inNs('ip', 'addr', 'add', `${nsAddress}/30`, 'dev', nsIf);
    await inNs('ip', 'link', 'set', nsIf, 'up');
    await inNs('ip', 'link', 'set', 'lo', 'up');
    await inNs('iptables', '-N', CHAIN);
  } catch (err) {
    await run('ip', ['netns', 'del', name]).catch(() => {});
    throw err;
  }

  const jumps = (port: number) => [
    ['INPUT', '-i', nsIf, '-p', 'tcp', '--dport', String(port), '-j', CHAIN],
    ['OUTPUT', '-o', nsIf, '-p', 'tcp', '--sport', String(port), '-j', CHAIN],
  ];
  let dropping: { port: number; probability: number } | null = null;
  let counted = { seen: 0, dropped: 0 };

  async function readCounters() {
    // `iptables-save -c` prints each rule as `[packets:bytes] -A CHAIN …`
    const { stdout } = await inNs('iptables-save', '-c', '-t', 'filter');
    let seen = 0;
    let dropped = 0;
    for (const line of stdout.split('\n')) {
      const m = /^\[(\d+):\d+\] -A (\S+) .*-j (\S+)/.exec(line);
      if (!m) continue;
      if (m[3] === CHAIN) seen += Number(m[1]);
      else if (m[2] === CHAIN && m[3] === 'DROP') dropped += Number(m[1]);
    }
    return { seen: counted.seen + seen, dropped: counted.dropped + dropped };
  }

  return {
    name,
    hostAddress,
    nsAddress,
    prefix: ['ip', 'netns', 'exec', name],
    async dropRandom(port, probability) {
      dropping = { port, probability };
      await inNs(
        'iptables',
        ...['-A', CHAIN, '-m', 'statistic', '--mode', 'random', '--probability', String(probability)],
        ...['-j', 'DROP'],
      );
      for (const rule of jumps(port)) await inNs('iptables', '-A', ...rule);
    },
    async stopDropping() {
      if (!dropping) return;
      counted = await readCounters();
      for (const rule of jumps(dropping.port)) await inNs('iptables', '-D', ...rule);
      await inNs('iptables', '-F', CHAIN);
      dropping = null;
    },
    lossCounters: readCounters,
    async tcpRetransmits() {
      const { stdout } = await inNs('nstat', '-asz', 'TcpRetransSegs');
      return Number(/TcpRetransSegs\s+(\d+)/.exec(stdout)?.[1] ?? 0);
    },
    async remove() {
      await run('ip', ['netns', 'del', name]).catch(() => {});
    },
  };
}
