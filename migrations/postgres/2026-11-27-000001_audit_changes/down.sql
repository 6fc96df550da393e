DROP TABLE audit_changes;
