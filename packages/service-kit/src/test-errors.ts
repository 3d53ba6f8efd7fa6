/** A small catalogue for the kit's tests: codes outside the wire enum map to the nearest. */
import type { ErrorCode } from '@lagebild/protocol';
import { ServiceError } from './service-error.ts';

const STATUS = {
  bad_request: 400,
  too_large: 413,
  unsupported_media_type: 415,
  teapot: 418,
  internal: 500,
} as const;

export class TestError extends ServiceError<keyof typeof STATUS> {
  override name = 'TestError';
  get status(): number {
    return STATUS[this.code];
  }
  protected override get wireCode(): ErrorCode {
    return this.code === 'unsupported_media_type' || this.code === 'teapot' ? 'bad_request' : this.code;
  }
}
