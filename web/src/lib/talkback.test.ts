import { describe, expect, it } from 'vitest';
import { microphoneFailure, refusalFailure } from './talkback.ts';

describe('talkback failures', () => {
  it("reads a refused microphone from getUserMedia's DOMException name", () => {
    expect(microphoneFailure(new DOMException('denied', 'NotAllowedError'))).toBe('mic_denied');
    expect(microphoneFailure(new DOMException('insecure', 'SecurityError'))).toBe('mic_denied');
    expect(microphoneFailure(new DOMException('none', 'NotFoundError'))).toBe('no_mic');
    expect(microphoneFailure(new DOMException('held elsewhere', 'NotReadableError'))).toBe('no_mic');
    expect(microphoneFailure(new Error('other'))).toBeNull();
    expect(microphoneFailure(null)).toBeNull();
  });

  it('says who is speaking, not live or not allowed by the HTTP status (sfu/SPEC.md K1, K4)', () => {
    expect(refusalFailure(409)).toBe('busy');
    expect(refusalFailure(404)).toBe('not_live');
    expect(refusalFailure(403)).toBe('forbidden');
    expect(refusalFailure(401)).toBe('failed');
    expect(refusalFailure(503)).toBe('failed');
  });
});
