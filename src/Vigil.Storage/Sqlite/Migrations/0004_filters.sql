CREATE TABLE filters (
    filter_id  TEXT NOT NULL PRIMARY KEY,
    content    BLOB NOT NULL,
    updated_at INTEGER NOT NULL
);
