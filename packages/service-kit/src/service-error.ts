/**
 * The base of each service's error catalogue (fastify `lib/errors.js`: one code → status map per
 * service). A service subclasses it with its own codes and statuses; the body on the wire is the
 * system's `ErrorBody`, so a service whose catalogue has codes outside that enum maps them to the
 * nearest (`wireCode`). The message is for the caller: say what happened and how to fix it.
 */
import type { ErrorBody, ErrorCode } from '@lagebild/protocol';

export abstract class ServiceError<C extends string = string> extends Error {
  readonly code: C;
  /** one line per bad field (from `describeIssues`), shown to the caller */
  readonly issues: string[] | undefined;
  constructor(code: C, message: string, issues?: string[]) {
    super(message);
    this.code = code;
    this.issues = issues;
  }

  /** the HTTP status of `code` in the service's catalogue */
  abstract get status(): number;

  /** the code on the wire; a catalogue with codes outside `ErrorCode` overrides this */
  protected get wireCode(): ErrorCode {
    return this.code as unknown as ErrorCode;
  }

  toBody(): ErrorBody {
    return {
      error: { code: this.wireCode, message: this.message, ...(this.issues ? { issues: this.issues } : {}) },
    };
  }
}
