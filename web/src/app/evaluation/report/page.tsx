'use client';
/** `/evaluation/report/`: the printable report of the selection in the query string. */
import { EvaluationReport } from '@/components/evaluation/evaluation-report';
import { SessionGate } from '@/components/session-gate';

export default function EvaluationReportPage() {
  return <SessionGate>{(me) => <EvaluationReport me={me} />}</SessionGate>;
}
