/** One root logger per process; modules take children with their own bindings. */
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string, instance: string): Logger {
  return pino({
    level,
    base: { svc: 'gateway', ...(instance ? { instance } : {}) },
    redact: {
      paths: ['secret', '*.secret', 'password', '*.password', 'token', 'cookie', '*.cookie'],
      censor: '[redacted]',
    },
  });
}
