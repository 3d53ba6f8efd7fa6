/** One root logger per process; modules take children with their own bindings. */
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string, sfuId: string): Logger {
  return pino({
    level,
    base: { svc: 'sfu', sfuId },
    redact: {
      paths: ['token', '*.token', 'authorization', '*.authorization', 'headers.authorization'],
      censor: '[redacted]',
    },
  });
}
