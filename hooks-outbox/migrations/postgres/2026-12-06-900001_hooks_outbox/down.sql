DROP TABLE hooks_outbox;
DROP FUNCTION hooks_outbox_notify();
