-- Releasing a recording from evidence / legal hold goes through four-eyes consent (issue 11):
-- released, it falls back to the standard period and the sweeper deletes it, so a single person
-- could otherwise delete evidence early.
ALTER TABLE "recording_approvals" DROP CONSTRAINT "recording_approvals_action_check";
ALTER TABLE "recording_approvals" ADD CONSTRAINT "recording_approvals_action_check"
  CHECK ("action" IN ('early_deletion', 'extension', 'release'));
