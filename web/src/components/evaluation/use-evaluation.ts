'use client';
/** Loads every figure of one filter (summary, weekly series, heat map, breakdown by context). */
import { StatsBreakdown, StatsHeatmap, StatsSeries, StatsSummary } from '@lagebild/protocol';
import { useEffect, useState } from 'react';
import { ApiError, apiGet } from '@/lib/api';
import { type EvaluationFilter, filterToQuery } from '@/lib/evaluation';

export interface EvaluationData {
  summary: StatsSummary;
  series: StatsSeries;
  heat: StatsHeatmap;
  byContext: StatsBreakdown;
}

export type EvaluationState =
  | { kind: 'loading' }
  | { kind: 'ready'; data: EvaluationData }
  | { kind: 'error'; error: ApiError };

export function useEvaluation(filter: EvaluationFilter | null, reload = 0): EvaluationState {
  const [state, setState] = useState<EvaluationState>({ kind: 'loading' });
  const query = filter ? filterToQuery(filter) : null;
  useEffect(() => {
    void reload;
    if (query === null) return;
    const abort = new AbortController();
    setState({ kind: 'loading' });
    Promise.all([
      apiGet(`/api/stats/summary?${query}`, StatsSummary, abort.signal),
      apiGet(`/api/stats/series?${query}`, StatsSeries, abort.signal),
      apiGet(`/api/stats/heatmap?${query}`, StatsHeatmap, abort.signal),
      apiGet(`/api/stats/breakdown?${query}&by=context`, StatsBreakdown, abort.signal),
    ]).then(
      ([summary, series, heat, byContext]) =>
        setState({ kind: 'ready', data: { summary, series, heat, byContext } }),
      (err: unknown) => {
        if (abort.signal.aborted) return;
        setState({
          kind: 'error',
          error: err instanceof ApiError ? err : new ApiError(0, 'network', String(err)),
        });
      },
    );
    return () => abort.abort();
  }, [query, reload]);
  return state;
}
