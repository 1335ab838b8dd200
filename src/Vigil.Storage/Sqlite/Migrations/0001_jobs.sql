CREATE TABLE jobs (
    job_id     TEXT NOT NULL PRIMARY KEY,
    config     BLOB NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE job_documents (
    job_id     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    content    BLOB NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (job_id, kind)
);

CREATE INDEX job_documents_kind ON job_documents (kind, job_id);
