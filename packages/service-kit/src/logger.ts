/**
 * The root logger of a process (pino); modules take children with their own bindings. Credentials
 * never reach a log line: tokens, cookies, passwords, secrets and Authorization headers are
 * redacted at the top level and one level down (`req.headers`, `opts.token`).
 */
import pino from 'pino';

export type Logger = pino.Logger;

export const REDACTED_PATHS = [
  'secret',
  '*.secret',
  'password',
  '*.password',
  'token',
  '*.token',
  'cookie',
  '*.cookie',
  'authorization',
  '*.authorization',
];

/** `bindings` are on every line, e.g. `{ svc: 'sfu', sfuId }`. */
export function createLogger(
  level: string,
  bindings: Record<string, unknown>,
  destination?: pino.DestinationStream,
): Logger {
  return pino(
    { level, base: bindings, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    destination,
  );
}
