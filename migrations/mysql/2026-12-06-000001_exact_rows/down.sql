DROP TABLE exact_rows;
