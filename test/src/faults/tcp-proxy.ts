/**
 * A TCP proxy on loopback that a fault test controls, put between a gateway and Redis or
 * PostgreSQL to make a network partition without root: `blackhole()` stops every byte in both
 * directions and holds new connections unanswered (as a cable pulled or a firewall dropping
 * packets: nothing is refused, everything just waits), `heal()` lets the held bytes through again
 * (as TCP retransmission would), `latency(ms)` delays every chunk each way, `reset()` cuts every
 * connection at once (RST). It listens on loopback, or on `listenHost` (e.g. the host's end of a
 * test's network namespace, so a gateway inside it reaches PostgreSQL and Redis on the host's loopback).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** `url` with its host and port replaced by the proxy's (its listening address) */
  via(url: string): string;
  blackhole(): void;
  heal(): void;
  latency(ms: number): void;
  reset(): void;
  /** connections accepted so far */
  readonly accepted: number;
  close(): Promise<void>;
}

interface Pipe {
  client: Socket;
  upstream: Socket | null;
  /** chunks waiting while blackholed, per direction, in order */
  held: Array<{ to: 'up' | 'down'; chunk: Buffer }>;
}

export async function startTcpProxy(
  target: { host: string; port: number },
  listenHost = '127.0.0.1',
): Promise<TcpProxy> {
  let blackholed = false;
  let delayMs = 0;
  let accepted = 0;
  const pipes = new Set<Pipe>();

  function deliver(p: Pipe, to: 'up' | 'down', chunk: Buffer) {
    const out = to === 'up' ? p.upstream : p.client;
    if (!out || out.destroyed) return;
    // equal delays keep their order: timers of one duration fire first-in, first-out
    if (delayMs > 0) setTimeout(() => out.destroyed || out.write(chunk), delayMs);
    else out.write(chunk);
  }

  function forward(p: Pipe, to: 'up' | 'down', chunk: Buffer) {
    if (blackholed || (to === 'up' && !p.upstream)) p.held.push({ to, chunk });
    else deliver(p, to, chunk);
  }

  function openUpstream(p: Pipe) {
    const up = connect(target.port, target.host);
    p.upstream = up;
    up.on('data', (c) => forward(p, 'down', c));
    up.on('connect', () => {
      if (!blackholed) flush(p);
    });
    const end = () => {
      p.client.destroy();
      up.destroy();
      pipes.delete(p);
    };
    up.on('error', end);
    up.on('close', end);
  }

  function flush(p: Pipe) {
    if (!p.upstream) openUpstream(p);
    if (p.upstream?.connecting) return;
    for (const { to, chunk } of p.held.splice(0)) deliver(p, to, chunk);
  }

  const server: Server = createServer((client) => {
    accepted++;
    const p: Pipe = { client, upstream: null, held: [] };
    pipes.add(p);
    client.on('data', (c) => forward(p, 'up', c));
    const end = () => {
      client.destroy();
      p.upstream?.destroy();
      pipes.delete(p);
    };
    client.on('error', end);
    client.on('close', end);
    // a blackholed path does not even complete the connection upstream
    if (!blackholed) openUpstream(p);
  });
  await new Promise<void>((resolve) => server.listen(0, listenHost, resolve));
  const port = (server.address() as { port: number }).port;

  return {
    port,
    via(url) {
      const u = new URL(url);
      u.hostname = listenHost;
      u.port = String(port);
      return u.toString();
    },
    blackhole() {
      blackholed = true;
    },
    heal() {
      blackholed = false;
      for (const p of pipes) flush(p);
    },
    latency(ms) {
      delayMs = ms;
    },
    reset() {
      for (const p of pipes) {
        p.client.resetAndDestroy();
        p.upstream?.destroy();
      }
      pipes.clear();
    },
    get accepted() {
      return accepted;
    },
    async close() {
      for (const p of pipes) {
        p.client.destroy();
        p.upstream?.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
