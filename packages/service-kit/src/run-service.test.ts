import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';
import { type RunnableService, runService, type ServiceProcess } from './run-service.ts';

/** A stand-in for `process`: records what was written and the exit code, fires signals on demand. */
function fakeProcess() {
  const out: string[] = [];
  const err: string[] = [];
  const signals = new Map<string, () => void>();
  let rejection: ((reason: unknown) => void) | undefined;
  let exited!: (code: number) => void;
  const exit = new Promise<number>((r) => {
    exited = r;
  });
  const proc: ServiceProcess = {
    pid: 4242,
    stdout: { write: (s: string) => out.push(s) },
    stderr: { write: (s: string) => err.push(s) },
    exit: (code) => exited(code),
    prependOnceListener: (sig, fn) => signals.set(sig, fn),
    on: (_event, fn) => {
      rejection = fn;
    },
  };
  return { proc, out, err, signals, exit, reject: (reason: unknown) => rejection?.(reason) };
}

function fakeService(opts: { listen?: () => Promise<string>; close?: () => Promise<void> } = {}) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const service: RunnableService & { closed: boolean } = {
    log: createLogger('info', { svc: 'test' }, stream),
    closed: false,
    listen: opts.listen ?? (async () => 'http://127.0.0.1:4000'),
    async close() {
      service.closed = true;
      await opts.close?.();
    },
  };
  return { service, lines };
}

describe('runService()', () => {
  it('prints the ready line parents wait for, with the extra fields', async () => {
    const p = fakeProcess();
    const { service, lines } = fakeService();
    await runService({
      name: 'sfu',
      loadConfig: () => ({ port: 0 }),
      build: async () => service,
      ready: () => ({ workerPids: [1, 2] }),
      proc: p.proc,
    });
    expect(p.out).toEqual([
      '{"msg":"ready","address":"http://127.0.0.1:4000","pid":4242,"workerPids":[1,2]}\n',
    ]);
    expect(lines.at(-1)).toMatchObject({
      msg: 'sfu listening',
      address: 'http://127.0.0.1:4000',
      workerPids: [1, 2],
    });
  });

  it('passes the configuration to build', async () => {
    const p = fakeProcess();
    const { service } = fakeService();
    let seen: unknown;
    await runService({
      name: 'gateway',
      loadConfig: () => ({ port: 7 }),
      build: async (c) => {
        seen = c;
        return service;
      },
      proc: p.proc,
    });
    expect(seen).toEqual({ port: 7 });
    expect(p.out[0]).toBe('{"msg":"ready","address":"http://127.0.0.1:4000","pid":4242}\n');
  });

  it('exits 2 with the configuration message as it is when the configuration is invalid', async () => {
    const p = fakeProcess();
    let built = false;
    await runService({
      name: 'gateway',
      loadConfig: () => {
        throw new Error('invalid gateway configuration:\n  PORT: bad');
      },
      build: async () => {
        built = true;
        return fakeService().service;
      },
      proc: p.proc,
    });
    expect(await p.exit).toBe(2);
    expect(p.err).toEqual(['invalid gateway configuration:\n  PORT: bad\n']);
    expect(built).toBe(false);
    expect(p.out).toEqual([]);
  });

  it('exits 2 with one line naming the service when it cannot be built', async () => {
    const p = fakeProcess();
    await runService({
      name: 'sfu',
      loadConfig: () => ({}),
      build: async () => {
        throw new Error('redis unreachable');
      },
      proc: p.proc,
    });
    expect(await p.exit).toBe(2);
    expect(p.err).toEqual(['sfu could not start: redis unreachable\n']);
  });

  it('exits 2 with one line when it cannot listen', async () => {
    const p = fakeProcess();
    const { service } = fakeService({
      listen: async () => {
        throw new Error('port 4000 (PORT) on 127.0.0.1 is in use');
      },
    });
    await runService({ name: 'gateway', loadConfig: () => ({}), build: async () => service, proc: p.proc });
    expect(await p.exit).toBe(2);
    expect(p.err).toEqual(['gateway could not start: port 4000 (PORT) on 127.0.0.1 is in use\n']);
    expect(p.out).toEqual([]);
  });

  it.each(['SIGTERM', 'SIGINT'])('closes the service on %s and exits 0', async (sig) => {
    const p = fakeProcess();
    const { service, lines } = fakeService();
    await runService({ name: 'gateway', loadConfig: () => ({}), build: async () => service, proc: p.proc });
    p.signals.get(sig)?.();
    expect(await p.exit).toBe(0);
    expect(service.closed).toBe(true);
    expect(lines.some((l) => l.msg === 'shutting down' && l.sig === sig)).toBe(true);
  });

  it('exits 1 when closing fails, and logs why', async () => {
    const p = fakeProcess();
    const { service, lines } = fakeService({
      close: async () => {
        throw new Error('stuck');
      },
    });
    await runService({ name: 'gateway', loadConfig: () => ({}), build: async () => service, proc: p.proc });
    p.signals.get('SIGTERM')?.();
    expect(await p.exit).toBe(1);
    expect(lines.find((l) => l.msg === 'shutdown failed')).toMatchObject({
      level: 50,
      err: { message: 'stuck' },
    });
  });

  it('logs an unhandled rejection at error level instead of dying', async () => {
    const p = fakeProcess();
    const { service, lines } = fakeService();
    await runService({ name: 'sfu', loadConfig: () => ({}), build: async () => service, proc: p.proc });
    p.reject(new Error('transport closed'));
    const line = lines.find((l) => /unhandled rejection/.test(String(l.msg)));
    expect(line).toMatchObject({ level: 50, err: { message: 'transport closed' } });
  });
});
