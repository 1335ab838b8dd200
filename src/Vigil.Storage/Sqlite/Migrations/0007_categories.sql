CREATE TABLE categories (
    job_id          TEXT    NOT NULL,
    category_id     INTEGER NOT NULL,
    partition_value TEXT,
    document        TEXT    NOT NULL,
    PRIMARY KEY (job_id, category_id)
);

CREATE INDEX categories_by_partition ON categories (job_id, partition_value, category_id);
