DROP TABLE hooks_outbox;
