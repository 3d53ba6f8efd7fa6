/**
 * The Units tab: the search and stage filters, their counts, and the list of live units on shift;
 * below them the cameras reporting without a shift ("nicht im Dienst", issue 15).
 */
import type { UnitLive } from '@lagebild/protocol';
import { useMemo, useState } from 'react';
import { offDutyCameras } from '@/lib/on-duty';
import { EMPTY_QUERY, filterOrdered, type UnitQuery } from '@/lib/unit-filter';
import { usePreferences } from '../preferences-provider';
import { UnitFilters } from '../unit-filters';
import { UnitList } from '../unit-list';
import { OffDutyList } from './off-duty-list';
import { SideTabPanel } from './side-tabs';

export function UnitsTab({
  shown,
  onDuty,
  offDutyUnits,
  teams,
  serverNowMs,
  selectedId,
  onSelect,
}: {
  shown: boolean;
  /** the units on duty in the list's order */
  onDuty: readonly UnitLive[];
  /** the cameras without a shift */
  offDutyUnits: readonly UnitLive[];
  teams: readonly string[];
  serverNowMs: number;
  selectedId: string | null;
  onSelect(deviceId: string): void;
}) {
  const { t } = usePreferences();
  const [query, setQuery] = useState<UnitQuery>(EMPTY_QUERY);
  const offDuty = useMemo(() => offDutyCameras(offDutyUnits, serverNowMs), [offDutyUnits, serverNowMs]);
  const filtered = useMemo(() => filterOrdered(onDuty, query, serverNowMs), [onDuty, query, serverNowMs]);
  return (
    <SideTabPanel id="units" shown={shown}>
      <div className="panel-heading">
        <h2 id="units-title" className="panel-title">
          {t('units.title')}
        </h2>
        <span className="muted" aria-live="off">
          {t('units.count', { shown: filtered.units.length, total: filtered.total })}
        </span>
      </div>
      <UnitFilters query={query} teams={teams} counts={filtered.counts} onChange={setQuery} />
      <UnitList
        units={filtered.units}
        serverNowMs={serverNowMs}
        selectedId={selectedId}
        onSelect={onSelect}
        emptyText={filtered.total === 0 ? t('units.noLive') : t('units.empty')}
      />
      <OffDutyList cameras={offDuty} serverNowMs={serverNowMs} onSelect={onSelect} />
    </SideTabPanel>
  );
}
