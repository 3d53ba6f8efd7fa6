/** The SFU's root logger (the kit's, with its redaction); modules take children with their own bindings. */
import { createLogger as createRootLogger, type Logger } from '@lagebild/service-kit';

export type { Logger };

export function createLogger(level: string, sfuId: string): Logger {
  return createRootLogger(level, { svc: 'sfu', sfuId });
}
