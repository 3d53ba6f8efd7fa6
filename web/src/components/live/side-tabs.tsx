/** Units | Incidents, as ARIA tabs (arrow keys move between them), and the panel each one shows. */
import type { ReactNode } from 'react';
import type { SideTab } from '@/lib/live-selection';
import { usePreferences } from '../preferences-provider';

export function SideTabs({
  tab,
  onTab,
  openCount,
  unacknowledgedCount,
}: {
  tab: SideTab;
  onTab(tab: SideTab): void;
  openCount: number;
  unacknowledgedCount: number;
}) {
  const { t } = usePreferences();
  const tabs: { id: SideTab; label: string; count: number | null }[] = [
    { id: 'units', label: t('units.title'), count: null },
    { id: 'incidents', label: t('incidents.title'), count: openCount },
  ];
  return (
    <div
      className="side-tabs"
      role="tablist"
      aria-label={t('sidebar.tabs')}
      onKeyDown={(e) => {
        if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
        e.preventDefault();
        const next: SideTab = tab === 'units' ? 'incidents' : 'units';
        onTab(next);
        document.getElementById(`side-tab-${next}-tab`)?.focus();
      }}
    >
      {tabs.map((item) => (
        <button
          key={item.id}
          type="button"
          role="tab"
          id={`side-tab-${item.id}-tab`}
          aria-selected={tab === item.id}
          aria-controls={`side-tab-${item.id}`}
          tabIndex={tab === item.id ? 0 : -1}
          className="side-tab"
          onClick={() => onTab(item.id)}
        >
          {item.label}
          {item.count !== null && (
            <span
              className={`tab-count${item.id === 'incidents' && unacknowledgedCount > 0 ? ' is-alerting' : ''}`}
            >
              {item.count}
            </span>
          )}
        </button>
      ))}
    </div>
  );
}

/** The panel of one tab; both stay mounted, so a filter typed in one survives a look at the other. */
export function SideTabPanel({ id, shown, children }: { id: SideTab; shown: boolean; children: ReactNode }) {
  return (
    <div
      className="tab-panel"
      id={`side-tab-${id}`}
      role="tabpanel"
      aria-labelledby={`side-tab-${id}-tab`}
      hidden={!shown}
    >
      {children}
    </div>
  );
}
