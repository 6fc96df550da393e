-- A table with a composite primary key chosen by the caller.
CREATE TABLE memberships (
    org_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    role VARCHAR(16) NOT NULL,
    PRIMARY KEY (org_id, user_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
