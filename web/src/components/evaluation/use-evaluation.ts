'use client';
/**
 * Loads every figure of one filter (summary, weekly series, heat map, breakdown by context). The
 * printable report loads them in one request from /api/stats/report, which the gateway audits as an
 * export (§ 76 BDSG); the dashboard reads the four views.
 */
import { StatsBreakdown, StatsHeatmap, StatsReport, StatsSeries, StatsSummary } from '@lagebild/protocol';
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

function loadViews(query: string, signal: AbortSignal): Promise<EvaluationData> {
  return Promise.all([
    apiGet(`/api/stats/summary?${query}`, StatsSummary, signal),
    apiGet(`/api/stats/series?${query}`, StatsSeries, signal),
    apiGet(`/api/stats/heatmap?${query}`, StatsHeatmap, signal),
    apiGet(`/api/stats/breakdown?${query}&by=context`, StatsBreakdown, signal),
  ]).then(([summary, series, heat, byContext]) => ({ summary, series, heat, byContext }));
}

export function useEvaluation(
  filter: EvaluationFilter | null,
  reload = 0,
  source: 'dashboard' | 'report' = 'dashboard',
): EvaluationState {
  const [state, setState] = useState<EvaluationState>({ kind: 'loading' });
  const query = filter ? filterToQuery(filter) : null;
  useEffect(() => {
    void reload;
    if (query === null) return;
    const abort = new AbortController();
    setState({ kind: 'loading' });
    const loading =
      source === 'report'
        ? apiGet(`/api/stats/report?${query}`, StatsReport, abort.signal)
        : loadViews(query, abort.signal);
    loading.then(
      (data) => setState({ kind: 'ready', data }),
      (err: unknown) => {
        if (abort.signal.aborted) return;
        setState({
          kind: 'error',
          error: err instanceof ApiError ? err : new ApiError(0, 'network', String(err)),
        });
      },
    );
    return () => abort.abort();
  }, [query, reload, source]);
  return state;
}
