/**
 * The frame every Lagebild service repeats, in one place: process start-up and shutdown, the error
 * catalogue base and the HTTP error handler, input validation, the root logger, configuration
 * errors, and periodic tasks. The services keep their own catalogues, names and messages.
 */
export { formatConfigError } from './config-error.ts';
export { type ErrorHandlerOptions, serviceErrorHandler } from './error-handler.ts';
export { createLogger, type Logger, REDACTED_PATHS } from './logger.ts';
export { inputParser } from './parse-input.ts';
export { type Periodic, periodic } from './periodic.ts';
export {
  type RunnableService,
  type RunServiceOptions,
  runService,
  type ServiceProcess,
} from './run-service.ts';
export { ServiceError } from './service-error.ts';
