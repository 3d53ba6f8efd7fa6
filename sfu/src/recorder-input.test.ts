import { describe, expect, it } from 'vitest';
import { plainTransportPorts } from './recorder-input.ts';

describe('plainTransportPorts', () => {
  it('keeps the recorder’s mediasoup ports below the kernel’s ephemeral range', () => {
    expect(plainTransportPorts({ min: 32768, max: 60999 })).toEqual({ min: 10_000, max: 32767 });
    expect(plainTransportPorts({ min: 40000, max: 65000 })).toEqual({ min: 10_000, max: 39999 });
  });
  it('falls back to mediasoup’s whole default range when the ephemeral range leaves too little below it', () => {
    expect(plainTransportPorts({ min: 1024, max: 65535 })).toEqual({ min: 10_000, max: 59_999 });
    expect(plainTransportPorts(null)).toEqual({ min: 10_000, max: 32767 });
  });
});
