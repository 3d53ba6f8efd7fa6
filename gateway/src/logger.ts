/** The gateway's root logger (the kit's, with its redaction); modules take children with their own bindings. */
import { createLogger as createRootLogger, type Logger } from '@lagebild/service-kit';

export type { Logger };

export function createLogger(level: string, instance: string): Logger {
  return createRootLogger(level, { svc: 'gateway', ...(instance ? { instance } : {}) });
}
