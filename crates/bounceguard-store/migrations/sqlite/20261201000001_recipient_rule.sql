-- Decision log (issue 4): the rule that made each recipient's decision (route:N, default:reserved,
-- dns:no-mail-domain, policy:<Sid>, …). Keep identical to migrations/postgres.
ALTER TABLE message_recipients ADD COLUMN rule TEXT NOT NULL DEFAULT '';
