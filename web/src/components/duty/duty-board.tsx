'use client';
/**
 * The Dienst page: start a shift (a free camera to a unit), the units on duty with "end shift",
 * the shifts ended today, and the teams and units. Supervisors and admins; the gateway checks role
 * and tenant on every call. After each change the board is loaded again, so two supervisors at
 * work see each other's hand-outs at their next action.
 */
import { DUTY_ROLES, DutyBoardResponse, type MeResponse } from '@lagebild/protocol';
import { useCallback, useEffect, useState } from 'react';
import { apiGet } from '@/lib/api';
import { ForbiddenNotice } from '../forbidden-notice';
import { ListStatus } from '../list-status';
import { RolePage } from '../page-frame';
import { usePreferences } from '../preferences-provider';
import { usePageApiError } from '../use-page-api-error';
import { EndedShiftsTable, OnDutyTable } from './on-duty-table';
import { StartShiftForm } from './start-shift-form';
import { TeamAdmin } from './team-admin';
import { UnitAdmin } from './unit-admin';

export function DutyBoard({ me }: { me: MeResponse }) {
  const { t } = usePreferences();
  return (
    <RolePage me={me} allowed={DUTY_ROLES.includes(me.user.role)} forbidden={t('duty.forbidden')}>
      <DutyBoardContent />
    </RolePage>
  );
}

type BoardState =
  | { kind: 'loading' }
  | { kind: 'ready'; board: DutyBoardResponse }
  | { kind: 'error'; message: string };

function DutyBoardContent() {
  const { t } = usePreferences();
  const [state, setState] = useState<BoardState>({ kind: 'loading' });
  const [notice, setNotice] = useState<string | null>(null);
  const { forbidden, describeError } = usePageApiError();

  const reload = useCallback(async (): Promise<DutyBoardResponse | null> => {
    try {
      const board = await apiGet('/api/duty', DutyBoardResponse);
      setState({ kind: 'ready', board });
      return board;
    } catch (err) {
      setState({ kind: 'error', message: describeError(err) });
      return null;
    }
  }, [describeError]);

  useEffect(() => {
    void reload();
  }, [reload]);

  if (forbidden) return <ForbiddenNotice message={t('duty.forbidden')} />;
  const done = (message: string) => {
    setNotice(message);
    void reload();
  };

  return (
    <div className="admin-page duty-page">
      <h1>{t('duty.title')}</h1>
      <p className="muted">{t('duty.intro')}</p>
      <p role="status" className="notice-line" data-testid="duty-notice">
        {notice}
      </p>
      <ListStatus state={state} loadingText={t('duty.loading')} onRetry={() => void reload()} />
      {state.kind === 'ready' && (
        <>
          <StartShiftForm board={state.board} reload={reload} onDone={done} describeError={describeError} />
          <OnDutyTable units={state.board.units} onDone={done} describeError={describeError} />
          <TeamAdmin teams={state.board.teams} onDone={done} describeError={describeError} />
          <UnitAdmin
            units={state.board.units}
            teams={state.board.teams}
            onDone={done}
            describeError={describeError}
          />
          <EndedShiftsTable shifts={state.board.recentlyEnded} />
        </>
      )}
    </div>
  );
}
