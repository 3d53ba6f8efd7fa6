import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { periodic } from './periodic.ts';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};

describe('periodic()', () => {
  it('runs the task every everyMs until stopped', async () => {
    const task = vi.fn(async () => {});
    const p = periodic(1000, task, () => {});
    await vi.advanceTimersByTimeAsync(3000);
    expect(task).toHaveBeenCalledTimes(3);
    p.stop();
    await vi.advanceTimersByTimeAsync(3000);
    expect(task).toHaveBeenCalledTimes(3);
  });

  it('never overlaps itself: a slow run delays the next instead of piling up', async () => {
    const gate = deferred();
    const task = vi.fn(() => gate.promise);
    const p = periodic(1000, task, () => {});
    await vi.advanceTimersByTimeAsync(5000);
    expect(task).toHaveBeenCalledTimes(1);
    const now = p.runNow(); // joins the run in progress
    expect(task).toHaveBeenCalledTimes(1);
    gate.resolve();
    await now;
    await vi.advanceTimersByTimeAsync(1000);
    expect(task).toHaveBeenCalledTimes(2);
    p.stop();
  });

  it('reports failures to onError and keeps running', async () => {
    const onError = vi.fn();
    const task = vi.fn(async () => {
      throw new Error('db down');
    });
    const p = periodic(1000, task, onError);
    await vi.advanceTimersByTimeAsync(2000);
    expect(onError).toHaveBeenCalledTimes(2);
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'db down' }));
    await expect(p.runNow()).resolves.toBeUndefined();
    p.stop();
  });

  it('with everyMs 0 runs only when asked', async () => {
    const task = vi.fn(async () => {});
    const p = periodic(0, task, () => {});
    await vi.advanceTimersByTimeAsync(10_000);
    expect(task).not.toHaveBeenCalled();
    await p.runNow();
    expect(task).toHaveBeenCalledTimes(1);
    p.stop();
  });
});
