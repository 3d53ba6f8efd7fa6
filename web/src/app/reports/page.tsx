'use client';
/** `/reports/`: officers' short report after an episode (mobile-friendly). */
import { OfficerReportPage } from '@/components/evaluation/officer-report-form';
import { SessionGate } from '@/components/session-gate';

export default function ReportsPage() {
  return <SessionGate>{(me) => <OfficerReportPage me={me} />}</SessionGate>;
}
