'use client';
/** `/evaluation/`: pilot statistics for evaluators, supervisors and admins. */
import { EvaluationDashboard } from '@/components/evaluation/evaluation-dashboard';
import { SessionGate } from '@/components/session-gate';

export default function EvaluationPage() {
  return <SessionGate>{(me) => <EvaluationDashboard me={me} />}</SessionGate>;
}
