/**
 * Part 4 of `bench:video` (issue 17): the SFU's forwarding capacity, measured with a load generator
 * that is cheap, so that the SFU is what is measured (`--capacity-only` runs just this part).
 *  - publishers: ONE VP8 encoder (640×360, 15 fps, ~300 kbit/s, keyframe every 30 frames) teed into
 *    P WHIP sessions on webrtcbin, each with its own payloader (SSRC, sequence numbers), device and
 *    device token (test/src/gst-fleet.py --mode publish). Video only.
 *  - viewers: V WHEP sessions per publisher, each a recvonly webrtcbin whose RTP goes to a fakesink
 *    (no depayloading, no decoding), all in one process (gst-fleet.py --mode play).
 *  - counting: the window begins and ends with the publishers paused for DRAIN_MS (the encoder's
 *    frames stop before the payloaders, so sequence numbers stay contiguous and nothing is in
 *    flight); then each publisher's packets-sent and each player's packets-received (webrtcbin's
 *    get-stats, outbound-rtp and inbound-rtp) are read. A WHEP stream carries exactly its
 *    publisher's packets (no RTX, no simulcast), so a stream's loss is what its publisher sent in the
 *    window minus what it received. rtpsession's own packets-lost is reported beside it, but not
 *    relied on: a gap it takes for a restart of the source starts its counters again from 0.
 *  - CPU from /proc over the same window: the SFU (Node and each mediasoup worker) and, separately,
 *    the two generator processes. UDP drops (the kernel's per-socket `drops` in /proc/net/udp) of
 *    each side's sockets tell where a lost packet was dropped for want of a reader.
 * A step holds only if every stream received ≥ 99.9 % of the packets its publisher sent in the
 * window (about 1000 packets a stream in 30 s: at most one lost).
 * WHEP is the SFU's heaviest egress: every WHEP session has its own router, fed through a pipe
 * transport pair (loopback UDP on the same worker, sfu/src/whep-egress.ts), so a WHEP stream costs
 * the worker more than a control-room tile's consumer does; the figures bound a tile's cost above.
 *
 * `receivers: 'plain'` (`--capacity-receivers plain`) replaces the WHEP players by receivers cheap
 * enough for 300 consumers on this machine: the SFU (started with SFU_BENCH_PLAIN_CONSUMERS=on)
 * makes per viewer one PlainTransport consumer of the publisher on the tenant's router — the router
 * control-room tiles consume from — with SRTP on, so the worker encrypts and authenticates every
 * packet as for a WebRTC viewer (sfu/src/bench-plain-consumers.ts); it sends to one UDP socket per
 * consumer in one Node process (video-plain-receiver.ts) that counts packets and sequence-number
 * gaps from the RTP header (in the clear under SRTP). Same publishers, window, drain and hold rule.
 * Such a consumer has no ICE, DTLS, RTCP feedback or congestion control, so it costs the worker
 * less than a tile does: the WHEP figures bound a tile's cost from above, the plain ones from below.
 * Both kinds also measure the SFU with the publishers alone for BASELINE_S before the receivers
 * come (`ingestCpuPct`), so the cost a forwarded stream adds is told apart from the ingest's.
 */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startJsonLines } from '../src/json-lines-process.ts';
import { deviceToken, viewerTokenFor } from '../src/sfu.ts';
import { type Stack, TEST_INTERNAL_SECRET } from '../src/stack.ts';

const SCRIPT = fileURLToPath(new URL('../src/gst-fleet.py', import.meta.url));
const PLAIN_RECEIVER = fileURLToPath(new URL('./video-plain-receiver.ts', import.meta.url));
/** what receives the consumers' streams: GStreamer WHEP players, or PlainTransport consumers */
export type ReceiverKind = 'whep' | 'plain';
/** the SFU with the publishers alone, before the receivers come */
const BASELINE_S = 10;
/** a stream holds with at least this share of its packets */
export const HOLD_SHARE = 0.999;
/** publishers paused before each count: what is in flight arrives (loopback, sub-ms; the SFU's
 * inactivity check on a producer is 1.5 s, so a pause stays under it) */
const DRAIN_MS = 800;
const CLK_TCK = 100;

export interface CapacityStep {
  publishers: number;
  viewers: number;
}

export interface CapacityRow {
  receivers: ReceiverKind;
  publishers: number;
  viewersPerPublisher: number;
  consumers: number;
  windowS: number;
  /** the SFU (Node + workers), % of one core */
  sfuCpuPct: number;
  /** of which the busiest mediasoup worker and the Node process */
  busiestWorkerCpuPct: number;
  nodeCpuPct: number;
  /** every mediasoup worker, in the order of the SFU's slots */
  workerCpuPct: number[];
  sfuCpuPctPerStream: number;
  /** the SFU with the publishers alone (BASELINE_S before the receivers), % of one core */
  ingestCpuPct: number;
  /** (sfuCpuPct − ingestCpuPct) / consumers: what one forwarded stream adds */
  sfuCpuPctPerStreamAdded: number;
  /** every stream's packets together: received / (received + lost) */
  packetsReceivedPct: number;
  worstStreamPct: number;
  packetsReceived: number;
  packetsLost: number;
  streamsFailing: number;
  /** sequence-number gaps (WHEP: rtpsession's count; plain: the receiver's, RFC 3550 A.3) */
  seqGapsLost: number;
  /** plain: what the SFU's consumers say they sent in the window (mediasoup outbound-rtp packetCount) */
  sfuSentPackets?: number;
  /** plain: RTP packets with an SSRC other than the consumer's (RTX, probing), reordered ones, duplicates (not counted) */
  foreignPackets?: number;
  latePackets?: number;
  duplicatePackets?: number;
  /** plain: packets whose SRTP tag the receiver checked (the first and every 256th), and those that failed */
  srtpChecked?: number;
  srtpFailed?: number;
  /** streams whose packets-received started again from 0 in the window (received counted from there) */
  counterResets: number;
  /** packets per second each publisher sent (mean) */
  publisherPacketsPerS: number;
  /** what a player received, kbit/s (mean of the streams, RTP payload and headers) */
  streamKbitPerS: number;
  publisherCpuPct: number;
  playerCpuPct: number;
  /** kernel UDP drops on each side's sockets in the window */
  udpDrops: { sfu: number; publishers: number; players: number };
  /** the machine's UDP counters in the window (/proc/net/snmp; other processes' sockets included) */
  udpMachine: { RcvbufErrors: number; SndbufErrors: number; InErrors: number };
  whepPostMsP50: number;
  /** players made again after a failure before the window (gst-fleet.py's Players), and WHEP POSTs
   * answered 503/429 and retried */
  playerRetries: number;
  whepPostRetries: number;
  loadavg: string;
  /** every core's busy time in the window (/proc/stat), % of one core: the machine's total load */
  machineCpuPct: number;
  holds: boolean;
  error?: string;
  /** each stream in the window: the publisher it watches, its packets, its publisher's, the jitter buffer's count of lost (WHEP) */
  streams?: {
    i: number;
    publisher: number;
    received: number;
    /** publisherSent − received */
    lost: number;
    publisherSent: number;
    seqGapsLost: number;
    jitterBufferLost: number;
  }[];
}

/** `5x15,10x15,20x15` */
export function parseSteps(spec: string): CapacityStep[] {
  return spec.split(',').map((s) => {
    const m = /^(\d+)x(\d+)$/.exec(s.trim());
    if (!m) throw new Error(`--capacity: "${s}" is not <publishers>x<viewers>`);
    return { publishers: Number(m[1]), viewers: Number(m[2]) };
  });
}

interface FleetEvent {
  event: 'answer' | 'connected' | 'error' | 'stats' | 'pause' | 'resume' | 'retry';
  i?: number | null;
  status?: number;
  postMs?: number;
  ms?: number | null;
  message?: string;
  tag?: string;
  streams?: StreamCount[];
}

interface StreamCount {
  i: number;
  received?: number;
  lost?: number;
  bytes?: number;
  sent?: number;
  jbLost?: number;
  late?: number;
  duplicates?: number;
  foreign?: number;
  srtpChecked?: number;
  srtpFailed?: number;
}

interface Fleet {
  pid: number;
  events: FleetEvent[];
  /** resolves when `n` sessions are connected; rejects on the first error or at the timeout */
  connected(n: number, timeoutMs: number): Promise<void>;
  stats(tag: string): Promise<NonNullable<FleetEvent['streams']>>;
  /** publishers: stop or go on payloading the encoder's frames */
  gate(cmd: 'pause' | 'resume', tag: string): Promise<void>;
  stop(): Promise<void>;
}

function startFleet(mode: 'publish' | 'play', sessions: { url: string; token: string }[]): Fleet {
  const p = startJsonLines<FleetEvent>(`gst-fleet.py ${mode}`, [SCRIPT, '--mode', mode]);
  const { child, events, waitFor } = p;
  child.stdin!.write(`${JSON.stringify(sessions)}\n`);
  return {
    pid: child.pid!,
    events,
    connected(n, timeoutMs) {
      return waitFor(
        () => {
          const err = events.find((e) => e.event === 'error');
          if (err) throw new Error(`gst-fleet.py ${mode} session ${err.i}: ${err.message}`);
          return new Set(events.filter((e) => e.event === 'connected').map((e) => e.i)).size >= n
            ? true
            : undefined;
        },
        timeoutMs,
        `${n} connected sessions (${events.filter((e) => e.event === 'connected').length} so far)`,
      ).then(() => {});
    },
    async stats(tag) {
      child.stdin!.write(`stats ${tag}\n`);
      const e = await waitFor(
        () => events.find((x) => x.event === 'stats' && x.tag === tag),
        30_000,
        `stats ${tag}`,
      );
      return e.streams!;
    },
    async gate(cmd, tag) {
      child.stdin!.write(`${cmd} ${tag}\n`);
      await waitFor(() => events.find((x) => x.event === cmd && x.tag === tag), 10_000, `${cmd} ${tag}`);
    },
    async stop() {
      if (p.exited()) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.stdin!.end(); // it DELETEs its sessions and exits
      const term = setTimeout(() => child.kill('SIGTERM'), 10_000);
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(term);
      clearTimeout(kill);
    },
  };
}

/** busy ticks of all cores together (/proc/stat: all but idle and iowait) */
function machineTicks(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return f.reduce((a, b) => a + b, 0) - f[3]! - f[4]!;
}

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15), all threads
}

/** the kernel's receive-queue drops of every UDP socket the processes hold (/proc/net/udp{,6}) */
function udpDrops(pids: number[]): number {
  const inodes = new Set<string>();
  for (const pid of pids) {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // closed meanwhile
      }
    }
  }
  let drops = 0;
  for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length >= 13 && inodes.has(f[9]!)) drops += Number(f[12]);
    }
  }
  return drops;
}

/** the machine's UDP counters (/proc/net/snmp) */
function udpSnmp(): Record<string, number> {
  const [names, values] = readFileSync('/proc/net/snmp', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('Udp:'))
    .map((l) => l.split(/\s+/).slice(1));
  return Object.fromEntries(names!.map((n, i) => [n, Number(values![i])]));
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const median = (xs: number[]) =>
  xs.length === 0 ? 0 : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The receivers of one step, whichever kind: counted like the players of gst-fleet.py. */
interface Receivers {
  pid: number;
  stats(tag: string): Promise<StreamCount[]>;
  /** plain: the SFU's own count of what each consumer sent (packetCount), summed */
  sfuSent?(): Promise<number>;
  /** what goes into the row beside the counts (POST times, retries) */
  extra(): Partial<CapacityRow>;
  stop(): Promise<void>;
}

/** V WHEP players per publisher (gst-fleet.py --mode play), each with its own viewer token */
async function startWhepReceivers(
  stack: Stack,
  tenant: Stack['tenants'][number],
  devices: string[],
  step: CapacityStep,
): Promise<Receivers> {
  const sfu = stack.sfu!;
  const consumers = step.publishers * step.viewers;
  // session i watches publisher ⌊i / viewers⌋; each its own viewer token (one session per watch, V6)
  const players = startFleet(
    'play',
    Array.from({ length: consumers }, (_, i) => {
      const deviceId = devices[Math.floor(i / step.viewers)]!;
      return {
        url: `${sfu.url}/whep/${deviceId}`,
        token: viewerTokenFor({
          tenantId: tenant.id,
          userId: randomUUID(),
          deviceId,
          sid: randomBytes(16).toString('hex'),
          ttlMs: 600_000,
        }),
      };
    }),
  );
  try {
    // each player's webrtcbin makes a DTLS certificate, and the machine is shared: generous
    await players.connected(consumers, 60_000 + consumers * 700);
  } catch (err) {
    await players.stop();
    throw err;
  }
  return {
    pid: players.pid,
    stats: (tag) => players.stats(tag),
    extra() {
      const answers = players.events.filter((e) => e.event === 'answer' && e.postMs !== undefined);
      return {
        whepPostMsP50: round(median(answers.filter((e) => e.status === 201).map((e) => e.postMs!))),
        playerRetries: players.events.filter((e) => e.event === 'retry').length,
        whepPostRetries: answers.filter((e) => e.status === 503 || e.status === 429).length,
      };
    },
    stop: () => players.stop(),
  };
}

/**
 * V PlainTransport consumers per publisher in the SFU (its bench seam, SRTP on), each sending to its
 * own socket of one receiver process (video-plain-receiver.ts)
 */
async function startPlainReceivers(
  stack: Stack,
  tenant: Stack['tenants'][number],
  devices: string[],
  step: CapacityStep,
): Promise<Receivers> {
  const sfu = stack.sfu!;
  const consumers = step.publishers * step.viewers;
  const child = spawn(process.execPath, [PLAIN_RECEIVER], { stdio: ['pipe', 'pipe', 'pipe'] });
  const events: {
    event: string;
    tag?: string;
    ports?: number[];
    streams?: StreamCount[];
    message?: string;
  }[] = [];
  let exited: string | null = null;
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    events.push(JSON.parse(line));
    for (const w of waiters) w();
  });
  child.once('exit', (code, signal) => {
    exited = `plain receiver exited (${signal ?? code}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`;
    for (const w of waiters) w();
  });
  const waitFor = <T>(check: () => T | undefined, what: string, ms = 30_000) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(test);
        reject(new Error(`plain receiver: no ${what} within ${ms} ms`));
      }, ms);
      const test = () => {
        const err = events.find((e) => e.event === 'error');
        const v = check();
        if (v === undefined && !err && !exited) return;
        waiters.delete(test);
        clearTimeout(timer);
        if (v !== undefined) resolve(v);
        else reject(new Error(err?.message ?? exited!));
      };
      waiters.add(test);
      test();
    });
  const internal = (method: string, body?: unknown) =>
    fetch(`${sfu.url}/internal/bench/plain-consumers`, {
      method,
      headers: {
        authorization: `Bearer ${TEST_INTERNAL_SECRET}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    }).then(async (res) => {
      if (!res.ok)
        throw new Error(`${method} /internal/bench/plain-consumers → ${res.status} ${await res.text()}`);
      return res.json();
    });
  const stats = async (tag: string) => {
    child.stdin.write(`stats ${tag}\n`);
    return (await waitFor(() => events.find((e) => e.event === 'stats' && e.tag === tag), `stats ${tag}`))
      .streams!;
  };
  const stop = async () => {
    await internal('DELETE').catch(() => {});
    if (exited) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.stdin.end();
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(kill);
  };
  try {
    child.stdin.write(`bind ${consumers}\n`);
    const ports = (await waitFor(() => events.find((e) => e.event === 'bound'), 'bound sockets')).ports!;
    const ssrcs: { ssrc: number; keyBase64: string }[] = [];
    for (let p = 0; p < step.publishers; p++) {
      const res = (await internal('POST', {
        tenantId: tenant.id,
        deviceId: devices[p],
        ip: '127.0.0.1',
        ports: ports.slice(p * step.viewers, (p + 1) * step.viewers),
      })) as { consumers: { port: number; kind: string; ssrc: number; srtp: { keyBase64: string } }[] };
      for (const port of ports.slice(p * step.viewers, (p + 1) * step.viewers)) {
        const c = res.consumers.find((x) => x.port === port && x.kind === 'video');
        if (!c) throw new Error(`no video consumer for port ${port}`);
        ssrcs.push({ ssrc: c.ssrc, keyBase64: c.srtp.keyBase64 });
      }
    }
    child.stdin.write(`expect ${JSON.stringify(ssrcs)}\n`);
    await waitFor(() => events.find((e) => e.event === 'expect'), 'expect');
    // every stream flowing (its first keyframe after the consumer's PLI) before the window
    const deadline = Date.now() + 30_000;
    for (;;) {
      const got = await stats(`ready-${Date.now()}`);
      const silent = got.filter((s) => !s.received).length;
      if (silent === 0) break;
      if (Date.now() > deadline)
        throw new Error(`${silent} of ${consumers} plain consumers received nothing in 30 s`);
      await new Promise((r) => setTimeout(r, 500));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    pid: child.pid!,
    stats,
    async sfuSent() {
      const res = (await internal('GET')) as { consumers: { packetCount: number }[] };
      return res.consumers.reduce((n, c) => n + c.packetCount, 0);
    },
    extra: () => ({ whepPostMsP50: 0, playerRetries: 0, whepPostRetries: 0 }),
    stop,
  };
}

export async function measureCapacity(
  stack: Stack,
  tenant: Stack['tenants'][number],
  steps: CapacityStep[],
  windowS: number,
  log: (m: string) => void,
  receivers: ReceiverKind = 'whep',
): Promise<CapacityRow[]> {
  const sfu = stack.sfu!;
  const rows: CapacityRow[] = [];
  for (const step of steps) {
    const devices = tenant.devices.slice(0, step.publishers).map((d) => d.deviceId);
    if (devices.length < step.publishers)
      throw new Error(`--capacity ${step.publishers}x…: the tenant has ${devices.length} devices`);
    const publishers = startFleet(
      'publish',
      devices.map((d) => ({ url: `${sfu.url}/whip/${d}`, token: deviceToken(tenant.id, d, 600_000) })),
    );
    let players: Receivers | null = null;
    const consumers = step.publishers * step.viewers;
    const name = `capacity ${receivers} ${step.publishers}×${step.viewers}`;
    try {
      await publishers.connected(step.publishers, 30_000);
      await new Promise((r) => setTimeout(r, 1500)); // live: announced on its first packets
      const sfuPids = [sfu.child.pid!, ...sfu.workerPids];
      const sfuTicksNow = () => sfuPids.map(cpuTicks).reduce((x, y) => x + y, 0);
      // the SFU with the publishers alone: what ingest costs before anything is forwarded
      const i0 = { t: performance.now(), ticks: sfuTicksNow() };
      await new Promise((r) => setTimeout(r, BASELINE_S * 1000));
      const ingestCpuPct = (100 * (sfuTicksNow() - i0.ticks)) / CLK_TCK / ((performance.now() - i0.t) / 1000);
      players =
        receivers === 'whep'
          ? await startWhepReceivers(stack, tenant, devices, step)
          : await startPlainReceivers(stack, tenant, devices, step);
      log(`${name}: all ${consumers} ${receivers} receivers connected; settling`);
      await new Promise((r) => setTimeout(r, 3000)); // keyframes after the PLIs of the joins

      /** publishers paused, nothing in flight: every counter */
      const count = async (tag: string) => {
        await publishers.gate('pause', tag);
        await new Promise((r) => setTimeout(r, DRAIN_MS));
        const sent = await publishers.stats(tag);
        const got = await players!.stats(tag);
        const sfuSent = (await players!.sfuSent?.()) ?? null;
        const drops = {
          sfu: udpDrops(sfuPids),
          publishers: udpDrops([publishers.pid]),
          players: udpDrops([players!.pid]),
        };
        return { sent, got, sfuSent, drops, snmp: udpSnmp() };
      };
      const cpu = () => ({
        t: performance.now(),
        sfu: sfuPids.map(cpuTicks),
        pub: cpuTicks(publishers.pid),
        play: cpuTicks(players!.pid),
        machine: machineTicks(),
      });
      const a = await count('start');
      await publishers.gate('resume', 'start');
      const ca = cpu();
      await new Promise((r) => setTimeout(r, windowS * 1000));
      const cb = cpu();
      const loadavg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
      const b = await count('end');
      const wallS = (cb.t - ca.t) / 1000;
      const pctOf = (ticks: number) => (100 * ticks) / CLK_TCK / wallS;
      const sfuTicks = cb.sfu.map((x, i) => x - ca.sfu[i]!);
      const sfuCpuPct = pctOf(sfuTicks.reduce((x, y) => x + y, 0));

      const sentDelta = new Map(
        b.sent.map((s) => [s.i, (s.sent ?? 0) - (a.sent.find((x) => x.i === s.i)?.sent ?? 0)]),
      );
      let bytes = 0;
      let received = 0;
      let lost = 0;
      let seqLost = 0;
      let failing = 0;
      let resets = 0;
      let worst = 1;
      let foreign = 0;
      let late = 0;
      let duplicates = 0;
      let srtpChecked = 0;
      let srtpFailed = 0;
      const streams: NonNullable<CapacityRow['streams']> = [];
      for (const s of b.got) {
        const s0 = a.got.find((x) => x.i === s.i);
        const reset = (s.received ?? 0) < (s0?.received ?? 0);
        // after a restart of rtpsession's source only what came since is known: a lower bound
        const r = reset ? (s.received ?? 0) : (s.received ?? 0) - (s0?.received ?? 0);
        const pubSent = sentDelta.get(Math.floor(s.i / step.viewers)) ?? 0;
        const l = Math.max(0, pubSent - r);
        const share = pubSent === 0 ? 0 : Math.min(1, r / pubSent);
        bytes += reset ? (s.bytes ?? 0) : (s.bytes ?? 0) - (s0?.bytes ?? 0);
        streams.push({
          i: s.i,
          publisher: Math.floor(s.i / step.viewers),
          received: r,
          lost: l,
          publisherSent: pubSent,
          seqGapsLost: (s.lost ?? 0) - (s0?.lost ?? 0),
          jitterBufferLost: (s.jbLost ?? 0) - (s0?.jbLost ?? 0),
        });
        received += r;
        lost += l;
        seqLost += Math.max(0, (s.lost ?? 0) - (s0?.lost ?? 0));
        foreign += (s.foreign ?? 0) - (s0?.foreign ?? 0);
        late += (s.late ?? 0) - (s0?.late ?? 0);
        duplicates += (s.duplicates ?? 0) - (s0?.duplicates ?? 0);
        // over the stream's life: its first packet comes before the window
        srtpChecked += s.srtpChecked ?? 0;
        srtpFailed += s.srtpFailed ?? 0;
        if (reset) resets++;
        worst = Math.min(worst, share);
        if (share < HOLD_SHARE) failing++;
      }
      const pubSentTotal = [...sentDelta.values()].reduce((x, y) => x + y, 0);
      const row: CapacityRow = {
        receivers,
        publishers: step.publishers,
        viewersPerPublisher: step.viewers,
        consumers,
        windowS: round(wallS),
        sfuCpuPct: round(sfuCpuPct),
        busiestWorkerCpuPct: round(Math.max(...sfuTicks.slice(1).map(pctOf))),
        nodeCpuPct: round(pctOf(sfuTicks[0]!)),
        workerCpuPct: sfuTicks.slice(1).map((t) => round(pctOf(t))),
        sfuCpuPctPerStream: round(sfuCpuPct / consumers, 3),
        ingestCpuPct: round(ingestCpuPct),
        sfuCpuPctPerStreamAdded: round((sfuCpuPct - ingestCpuPct) / consumers, 3),
        packetsReceivedPct: round((100 * received) / Math.max(1, received + lost), 3),
        worstStreamPct: round(100 * worst, 2),
        packetsReceived: received,
        packetsLost: lost,
        streamsFailing: failing,
        seqGapsLost: seqLost,
        ...(b.sfuSent !== null && a.sfuSent !== null
          ? {
              sfuSentPackets: b.sfuSent - a.sfuSent,
              foreignPackets: foreign,
              latePackets: late,
              duplicatePackets: duplicates,
              srtpChecked,
              srtpFailed,
            }
          : {}),
        counterResets: resets,
        publisherPacketsPerS: round(pubSentTotal / step.publishers / wallS),
        streamKbitPerS: round((8 * bytes) / 1000 / consumers / wallS),
        publisherCpuPct: round(pctOf(cb.pub - ca.pub)),
        playerCpuPct: round(pctOf(cb.play - ca.play)),
        udpDrops: {
          sfu: b.drops.sfu - a.drops.sfu,
          publishers: b.drops.publishers - a.drops.publishers,
          players: b.drops.players - a.drops.players,
        },
        udpMachine: {
          RcvbufErrors: (b.snmp.RcvbufErrors ?? 0) - (a.snmp.RcvbufErrors ?? 0),
          SndbufErrors: (b.snmp.SndbufErrors ?? 0) - (a.snmp.SndbufErrors ?? 0),
          InErrors: (b.snmp.InErrors ?? 0) - (a.snmp.InErrors ?? 0),
        },
        whepPostMsP50: 0,
        playerRetries: 0,
        whepPostRetries: 0,
        ...players.extra(),
        loadavg,
        machineCpuPct: round(pctOf(cb.machine - ca.machine)),
        // plain: a packet whose SRTP tag failed would mean the counts are not of the SRTP the worker sent
        holds: failing === 0 && received > 0 && srtpFailed === 0,
      };
      log(JSON.stringify(row));
      rows.push({ ...row, streams });
    } catch (err) {
      const row = {
        receivers,
        publishers: step.publishers,
        viewersPerPublisher: step.viewers,
        consumers,
        holds: false,
        error: (err as Error).message,
      } as CapacityRow;
      rows.push(row);
      log(`${name} failed: ${row.error}`);
    } finally {
      await players?.stop();
      await publishers.stop();
    }
    await new Promise((r) => setTimeout(r, 3000)); // the SFU closes what the DELETEs missed
  }
  return rows;
}

const RECEIVER_TITLE: Record<ReceiverKind, string> = {
  whep: 'P×V GStreamer WHEP players (webrtcbin, own router + pipe transport each in the SFU) counting RTP, no decoding',
  plain:
    'P×V SRTP PlainTransport consumers on the tenant router (where tiles consume), counted from the RTP header in one Node process',
};

export function formatCapacity(rows: CapacityRow[]): string[] {
  const n = (x: number | undefined, w: number, unit = '') => `${x ?? '—'}${unit}`.padStart(w);
  const out: string[] = [];
  for (const kind of ['plain', 'whep'] as const) {
    const rs = rows.filter((r) => (r.receivers ?? 'whep') === kind);
    if (rs.length === 0) continue;
    const held = rs.filter((r) => r.holds);
    if (out.length > 0) out.push('');
    out.push(
      `capacity, receivers ${kind} (GStreamer: one VP8 encoder → P WHIP publishers; ${RECEIVER_TITLE[kind]})`,
      'publishers × viewers  consumers  SFU CPU  worker    Node  per stream  (added)  ingest alone  packets recv.  worst stream    lost  UDP drops sfu/pub/recv  generator CPU pub+recv  holds',
      ...rs.map((r) =>
        r.error
          ? `${String(r.publishers).padStart(10)} × ${String(r.viewersPerPublisher).padEnd(8)} ${n(r.consumers, 9)}  failed: ${r.error}`
          : `${String(r.publishers).padStart(10)} × ${String(r.viewersPerPublisher).padEnd(8)} ${n(r.consumers, 9)} ${n(r.sfuCpuPct, 7, ' %')} ${n(r.busiestWorkerCpuPct, 7, ' %')} ${n(r.nodeCpuPct, 5, ' %')} ${n(r.sfuCpuPctPerStream, 9, ' %')} ${n(r.sfuCpuPctPerStreamAdded, 6, ' %')} ${n(r.ingestCpuPct, 11, ' %')} ${n(r.packetsReceivedPct, 12, ' %')} ${n(r.worstStreamPct, 11, ' %')} ${n(r.packetsLost, 7)} ${`${r.udpDrops.sfu}/${r.udpDrops.publishers}/${r.udpDrops.players}`.padStart(23)} ${`${r.publisherCpuPct} + ${r.playerCpuPct} %`.padStart(23)}  ${r.holds ? 'yes' : 'NO'}`,
      ),
      `CPU in % of one core over the window (worker = the busiest mediasoup worker); per stream = SFU CPU / consumers, (added) = (SFU CPU − ingest alone) / consumers; a step holds if every stream received ≥ ${HOLD_SHARE * 100} % of the packets its publisher sent in the window`,
      `held: ${held.length > 0 ? held.map((r) => `${r.publishers}×${r.viewersPerPublisher}`).join(', ') : 'none'}; machine busy in each window: ${rs.map((r) => `${r.machineCpuPct ?? '—'} %`).join(', ')} of one core (2 cores = 200 %); load average at the end of each: ${rs.map((r) => r.loadavg ?? '—').join(' | ')}`,
    );
    if (kind === 'plain')
      out.push(
        `the SFU's consumers sent: ${rs.map((r) => (r.sfuSentPackets === undefined ? '—' : `${r.sfuSentPackets} (received ${r.packetsReceived}, foreign ${r.foreignPackets}, late ${r.latePackets}, duplicates ${r.duplicatePackets}, seq. gaps ${r.seqGapsLost}; SRTP tags checked ${r.srtpChecked}, failed ${r.srtpFailed})`)).join(' | ')}`,
      );
  }
  return out;
}
