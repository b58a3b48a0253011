"""Market data: bar schema, bar store, CSV import, calendars, resampling, synthetic market."""
