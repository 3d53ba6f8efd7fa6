import { describe, expect, it } from 'vitest';
import { csvCell } from './csv-export.ts';

describe('csvCell', () => {
  it('leaves a suppressed figure empty and quotes text that would break the row', () => {
    expect(csvCell(null)).toBe('');
    expect(csvCell(0.5)).toBe('0.5');
    expect(csvCell('2026-03-02..2026-03-29')).toBe('2026-03-02..2026-03-29');
    expect(csvCell('Team "A", Nord')).toBe('"Team ""A"", Nord"');
  });
});
