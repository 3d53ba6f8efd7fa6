/**
 * The process frame of a service's `main.ts`: configuration, build, listen, the ready line, signals.
 *
 * - A configuration error prints its message as it is (it names the variables) and exits 2; a
 *   failure to build or listen (a production refusal, an unreachable dependency, a taken port)
 *   prints one line, `<name> could not start: <reason>`, no stack, and exits 2.
 * - Once listening it prints `{"msg":"ready","address":…,"pid":…}` on stdout: parent processes
 *   (infra/src/process.ts, npm start, the tests) wait for that exact prefix.
 * - SIGTERM / SIGINT close the service gracefully: exit 0, or 1 if closing failed.
 * - Every promise has an owner that catches (issue 11); the `unhandledRejection` handler is the net
 *   under that rule, not a replacement for it. A rejection that escaped (typically a call on an
 *   object that closed meanwhile) is a bug to fix, but it must not end every live connection of the
 *   process: it is logged at error level, which the integration tests look for.
 */
import type { Logger } from './logger.ts';

export interface RunnableService {
  log: Logger;
  /** opens the port; resolves with the address */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** The part of `process` the frame uses (tests pass their own). */
export interface ServiceProcess {
  readonly pid: number;
  readonly stdout: { write(line: string): unknown };
  readonly stderr: { write(line: string): unknown };
  exit(code: number): void;
  prependOnceListener(event: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
}

export interface RunServiceOptions<C, S extends RunnableService> {
  /** the service's name in its log lines and start-up failure, e.g. 'gateway' */
  name: string;
  /** reads and validates the configuration; a throw's message is printed as it is */
  loadConfig: () => C;
  build: (config: C) => Promise<S>;
  /** fields beside `address` on the listening log line and the ready line, e.g. worker pids */
  ready?: (service: S) => Record<string, unknown>;
  proc?: ServiceProcess;
}

/** Resolves once the service is ready, or once a start-up failure has been reported. */
export async function runService<C, S extends RunnableService>(opts: RunServiceOptions<C, S>): Promise<void> {
  const proc = opts.proc ?? process;
  const fail = (line: string) => {
    proc.stderr.write(`${line}\n`);
    proc.exit(2);
  };
  let config: C;
  try {
    config = opts.loadConfig();
  } catch (err) {
    return fail((err as Error).message);
  }
  const couldNotStart = (err: unknown) => fail(`${opts.name} could not start: ${(err as Error).message}`);
  let service: S;
  try {
    service = await opts.build(config);
  } catch (err) {
    return couldNotStart(err);
  }
  const { log } = service;
  proc.on('unhandledRejection', (err) => {
    log.error({ err }, 'unhandled rejection (a bug: this promise needs an owner)');
  });
  let address: string;
  try {
    address = await service.listen();
  } catch (err) {
    return couldNotStart(err);
  }
  const extra = opts.ready?.(service) ?? {};
  log.info({ address, ...extra }, `${opts.name} listening`);
  proc.stdout.write(`${JSON.stringify({ msg: 'ready', address, pid: proc.pid, ...extra })}\n`);
  // first among the process's listeners: libraries close what they own on the same signals (a
  // mediasoup Worker closes its worker process), and the service must see its own shutdown before
  // that, or it would take its parts' ends for failures (a recording cut as `worker_died`)
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    proc.prependOnceListener(sig, () => {
      log.info({ sig }, 'shutting down');
      service.close().then(
        () => proc.exit(0),
        (err) => {
          log.error({ err }, 'shutdown failed');
          proc.exit(1);
        },
      );
    });
  }
}
