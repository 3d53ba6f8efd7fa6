/**
 * The map's unit shapes as small inline SVGs (legend, list, filters), so shape and colour mean the
 * same thing everywhere. Decorative: the text next to it carries the meaning.
 */
import type { UnitStatus } from '@/lib/unit-filter';

export function StageGlyph({ status, size = 18 }: { status: UnitStatus | 'lost' | 'all'; size?: number }) {
  return (
    <svg
      className={`glyph glyph-${status}`}
      width={size}
      height={size}
      viewBox="-12 -12 24 24"
      aria-hidden="true"
      focusable="false"
    >
      {status === 'standby' && <circle r="5.5" className="glyph-fill" />}
      {status === 'display' && <path d="M0 -8 L8 0 L0 8 L-8 0 Z" className="glyph-fill" />}
      {status === 'recording' && (
        <>
          <circle r="10.5" className="glyph-ring" />
          <path d="M0 -7.5 L7 4.5 L-7 4.5 Z" className="glyph-fill" />
        </>
      )}
      {status === 'emergency' && (
        <>
          <circle r="10" className="glyph-ring glyph-ring-thick" />
          <circle r="4.5" className="glyph-fill" />
        </>
      )}
      {status === 'lost' && (
        <>
          <circle r="6" className="glyph-fill glyph-dashed" />
          <path d="M-3 -3 L3 3 M3 -3 L-3 3" className="glyph-cross" />
        </>
      )}
      {status === 'all' && (
        <>
          <circle cx="-4" cy="-4" r="3" className="glyph-fill glyph-all-1" />
          <circle cx="4" cy="-4" r="3" className="glyph-fill glyph-all-2" />
          <circle cx="-4" cy="4" r="3" className="glyph-fill glyph-all-3" />
          <circle cx="4" cy="4" r="3" className="glyph-fill glyph-all-4" />
        </>
      )}
    </svg>
  );
}
