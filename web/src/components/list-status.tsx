'use client';
/** A loading list's line, or why it failed with a button to load it again; nothing once it is ready. */
import { usePreferences } from './preferences-provider';

export type ListStatusState = { kind: 'loading' | 'ready' } | { kind: 'error'; message: string };

export function ListStatus({
  state,
  loadingText,
  onRetry,
}: {
  state: ListStatusState;
  loadingText: string;
  onRetry(): void;
}) {
  const { t } = usePreferences();
  if (state.kind !== 'error') return state.kind === 'loading' ? <p className="muted">{loadingText}</p> : null;
  return (
    <div role="alert" className="form-error">
      <p>{state.message}</p>
      <button type="button" className="button" onClick={onRetry}>
        {t('app.retry')}
      </button>
    </div>
  );
}
