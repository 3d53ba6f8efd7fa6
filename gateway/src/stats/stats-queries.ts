/**
 * The evaluator's figures, one view per file in ./queries: from the per-week and per-month roll-ups
 * of closed episodes `episode_week_counts`, `episode_month_counts` (./queries/episode-source.ts;
 * `episodes` itself is the reference they always equal) and the weekly `officer_week_hours` roll-up of
 * the hourly `officer_hours` plus open shifts up to now, and what became of the
 * recordings from `recordings`. Each view is one or two aggregate queries over indexed columns; no
 * per-person column ever leaves here. Every period is widened to whole ISO months, and a figure is
 * shown only when the disclosure control of @lagebild/stats allows it: not below MIN_CELL, and not
 * computable into a smaller cell by differencing with any other answer
 * (packages/stats/src/disclosure-control.ts). This module is what the routes use.
 */
export { statsBreakdown } from './queries/breakdown.ts';
export { statsCsv, statsExport } from './queries/csv-export.ts';
export {
  displayToRecording,
  type EpisodeSource,
  episodeAtoms,
  episodeCounts,
} from './queries/episode-source.ts';
export { filterOf, snapQuery } from './queries/filters.ts';
export { statsHeatmap } from './queries/heatmap.ts';
export { officerHours } from './queries/officer-hours.ts';
export { episodeProtection } from './queries/protection.ts';
export { statsSeries, weeksBetween } from './queries/series.ts';
export { statsSummary } from './queries/summary.ts';
export { statsTeams } from './queries/teams.ts';
