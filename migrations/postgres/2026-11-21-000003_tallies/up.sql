-- Rows with a version, for the reliability tests: every write raises the
-- version by one, so a hook can tell that the old row it got is the row
-- just before its write. The unique name is checked at COMMIT, so that a
-- commit can fail.
CREATE TABLE tallies (
    id BIGSERIAL PRIMARY KEY,
    name VARCHAR(64) NOT NULL,
    version BIGINT NOT NULL,
    total BIGINT NOT NULL,
    CONSTRAINT tallies_name_unique UNIQUE (name) DEFERRABLE INITIALLY DEFERRED
);
