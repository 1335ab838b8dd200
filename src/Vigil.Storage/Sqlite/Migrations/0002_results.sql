CREATE TABLE results (
    job_id      TEXT    NOT NULL,
    result_type TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    timestamp   INTEGER NOT NULL,
    score       REAL    NOT NULL,
    is_interim  INTEGER NOT NULL,
    document    TEXT    NOT NULL,
    PRIMARY KEY (job_id, result_type, id)
);

CREATE INDEX results_by_time ON results (job_id, result_type, timestamp);
CREATE INDEX results_by_score ON results (job_id, result_type, score);
CREATE INDEX results_interim ON results (job_id, is_interim) WHERE is_interim = 1;
