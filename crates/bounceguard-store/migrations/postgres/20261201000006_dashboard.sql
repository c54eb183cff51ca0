-- Dashboard (issue 8): the Messages page's decision filter walks this index newest first
-- instead of checking every message. Keep identical to the other dialect.
CREATE INDEX message_recipients_decision_seq ON message_recipients (decision, message_seq);
