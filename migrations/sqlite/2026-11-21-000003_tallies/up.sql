-- Rows with a version, for the reliability tests: every write raises the
-- version by one, so a hook can tell that the old row it got is the row
-- just before its write.
CREATE TABLE tallies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name VARCHAR(64) NOT NULL UNIQUE,
    version BIGINT NOT NULL,
    total BIGINT NOT NULL
);
