'use client';
/**
 * The list of units as a keyboard-operable listbox. Only the rows in view are rendered (fixed row
 * height), so 2,000 units cost the same as 20. Focus stays on the listbox and the active row is
 * announced through aria-activedescendant, which keeps working although rows come and go while
 * scrolling. Arrow keys/PageUp/PageDown/Home/End move, Enter or Space selects.
 */
import type { UnitLive } from '@lagebild/protocol';
import { type KeyboardEvent, useCallback, useEffect, useId, useLayoutEffect, useRef, useState } from 'react';
import { formatAge } from '@/lib/format';
import { freshnessOf } from '@/lib/staleness';
import { labelOf, statusOf } from '@/lib/unit-filter';
import { usePreferences } from './preferences-provider';
import { StageGlyph } from './stage-glyph';

export const ROW_HEIGHT_PX = 56;
const OVERSCAN_ROWS = 6;

export interface UnitListProps {
  units: readonly UnitLive[];
  serverNowMs: number;
  selectedId: string | null;
  onSelect(deviceId: string): void;
  emptyText: string;
}

export function UnitList({ units, serverNowMs, selectedId, onSelect, emptyText }: UnitListProps) {
  const { t } = usePreferences();
  const baseId = useId();
  const listRef = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewportHeight, setViewportHeight] = useState(600);
  const [activeId, setActiveId] = useState<string | null>(null);

  useLayoutEffect(() => {
    const el = listRef.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setViewportHeight(el.clientHeight));
    observer.observe(el);
    setViewportHeight(el.clientHeight);
    return () => observer.disconnect();
  }, []);

  // the active row follows the selection made elsewhere (map click)
  useEffect(() => {
    if (selectedId) setActiveId(selectedId);
  }, [selectedId]);

  const activeIndex = activeId ? units.findIndex((u) => u.deviceId === activeId) : -1;

  const scrollIntoView = useCallback((index: number) => {
    const el = listRef.current;
    if (!el) return;
    const top = index * ROW_HEIGHT_PX;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW_HEIGHT_PX > el.scrollTop + el.clientHeight)
      el.scrollTop = top + ROW_HEIGHT_PX - el.clientHeight;
  }, []);

  function move(index: number) {
    const clamped = Math.max(0, Math.min(units.length - 1, index));
    const unit = units[clamped];
    if (!unit) return;
    setActiveId(unit.deviceId);
    scrollIntoView(clamped);
  }

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    const page = Math.max(1, Math.floor(viewportHeight / ROW_HEIGHT_PX) - 1);
    const current = activeIndex < 0 ? -1 : activeIndex;
    let handled = true;
    switch (e.key) {
      case 'ArrowDown':
        move(current + 1);
        break;
      case 'ArrowUp':
        move(current < 0 ? 0 : current - 1);
        break;
      case 'PageDown':
        move(current + page);
        break;
      case 'PageUp':
        move(current - page);
        break;
      case 'Home':
        move(0);
        break;
      case 'End':
        move(units.length - 1);
        break;
      case 'Enter':
      case ' ': {
        const unit = units[current];
        if (unit) onSelect(unit.deviceId);
        break;
      }
      default:
        handled = false;
    }
    if (handled) e.preventDefault();
  }

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT_PX) - OVERSCAN_ROWS);
  const last = Math.min(
    units.length,
    Math.ceil((scrollTop + viewportHeight) / ROW_HEIGHT_PX) + OVERSCAN_ROWS,
  );
  const rows = units.slice(first, last);
  // aria-activedescendant must point at a rendered row
  const activeRendered = activeIndex >= first && activeIndex < last;

  if (units.length === 0) {
    return (
      <div ref={listRef} className="unit-list">
        <p className="unit-list-empty" role="status">
          {emptyText}
        </p>
      </div>
    );
  }

  return (
    <div
      ref={listRef}
      className="unit-list"
      role="listbox"
      tabIndex={0}
      aria-label={t('units.listLabel')}
      aria-activedescendant={activeRendered && activeId ? `${baseId}-${activeId}` : undefined}
      onKeyDown={onKeyDown}
      onFocus={() => {
        if (activeIndex < 0 && units[0]) setActiveId(units[0].deviceId);
      }}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
    >
      <div className="unit-list-sizer" style={{ height: units.length * ROW_HEIGHT_PX }}>
        {rows.map((unit, i) => {
          const index = first + i;
          const status = statusOf(unit);
          const freshness = freshnessOf(unit, serverNowMs);
          return (
            // biome-ignore lint/a11y/useKeyWithClickEvents: the listbox handles the keyboard (aria-activedescendant)
            <div
              key={unit.deviceId}
              id={`${baseId}-${unit.deviceId}`}
              role="option"
              tabIndex={-1}
              aria-selected={unit.deviceId === selectedId}
              aria-posinset={index + 1}
              aria-setsize={units.length}
              className={`unit-row status-${status} fresh-${freshness}${unit.deviceId === activeId ? ' is-active' : ''}`}
              style={{ top: index * ROW_HEIGHT_PX, height: ROW_HEIGHT_PX }}
              onClick={() => {
                setActiveId(unit.deviceId);
                onSelect(unit.deviceId);
              }}
            >
              <StageGlyph status={freshness === 'lost' ? 'lost' : status} size={22} />
              <span className="unit-row-main">
                <span className="unit-row-callsign">{labelOf(unit)}</span>
                <span className="unit-row-meta">
                  {unit.team ?? '–'} · {formatAge(serverNowMs - unit.receivedAt, t)}
                </span>
              </span>
              <span className="unit-row-badges">
                <span className={`stage-badge stage-badge-${status}`}>{t(`stage.${status}`)}</span>
                {freshness !== 'fresh' && (
                  <span className={`freshness-badge freshness-${freshness}`}>{t(`stage.${freshness}`)}</span>
                )}
              </span>
            </div>
          );
        })}
      </div>
    </div>
  );
}
