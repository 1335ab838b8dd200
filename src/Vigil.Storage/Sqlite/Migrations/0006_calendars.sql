CREATE TABLE calendars (
    calendar_id TEXT NOT NULL PRIMARY KEY,
    content     BLOB NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE calendar_events (
    event_id    TEXT NOT NULL PRIMARY KEY,
    calendar_id TEXT NOT NULL REFERENCES calendars (calendar_id),
    start_ms    INTEGER NOT NULL,
    end_ms      INTEGER NOT NULL,
    content     BLOB NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE INDEX calendar_events_by_calendar ON calendar_events (calendar_id, start_ms);
