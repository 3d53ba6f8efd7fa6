'use client';
/** Search, team and stage filters above the unit list, with a count per stage. */
import { useId } from 'react';
import { STAGE_FILTERS, type StageFilter, type UnitQuery } from '@/lib/unit-filter';
import { usePreferences } from './preferences-provider';
import { StageGlyph } from './stage-glyph';

export interface UnitFiltersProps {
  query: UnitQuery;
  teams: readonly string[];
  counts: Record<StageFilter, number>;
  onChange(query: UnitQuery): void;
}

export function UnitFilters({ query, teams, counts, onChange }: UnitFiltersProps) {
  const { t } = usePreferences();
  const searchId = useId();
  const teamId = useId();
  return (
    <div className="unit-filters">
      <div className="filter-row">
        <div className="field field-compact field-grow">
          <label htmlFor={searchId}>{t('units.search')}</label>
          <input
            id={searchId}
            type="search"
            autoComplete="off"
            placeholder={t('units.searchPlaceholder')}
            value={query.text}
            onChange={(e) => onChange({ ...query, text: e.target.value })}
          />
        </div>
        <div className="field field-compact">
          <label htmlFor={teamId}>{t('units.team')}</label>
          <select
            id={teamId}
            value={query.team ?? ''}
            onChange={(e) => onChange({ ...query, team: e.target.value === '' ? null : e.target.value })}
          >
            <option value="">{t('units.team.all')}</option>
            {teams.map((team) => (
              <option key={team} value={team}>
                {team}
              </option>
            ))}
          </select>
        </div>
      </div>
      <fieldset className="stage-filters">
        <legend className="visually-hidden">{t('units.filterStage')}</legend>
        {STAGE_FILTERS.map((stage) => (
          <button
            key={stage}
            type="button"
            className={`stage-filter stage-filter-${stage}`}
            aria-pressed={query.stage === stage}
            onClick={() =>
              onChange({ ...query, stage: query.stage === stage && stage !== 'all' ? 'all' : stage })
            }
          >
            <StageGlyph status={stage} size={16} />
            <span className="stage-filter-label">{t(`stage.${stage}`)}</span>
            <span className="stage-filter-count">{counts[stage]}</span>
          </button>
        ))}
      </fieldset>
    </div>
  );
}
