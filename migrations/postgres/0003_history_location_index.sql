-- The batch policy looks up whether a table ever used a location (an equality lookup on a long
-- text value: a hash index is smaller and cheaper to maintain than a btree on every append).
CREATE INDEX location_history_new_location_idx ON location_history USING hash (new_location);
UPDATE strata_meta SET value = '3' WHERE key = 'schema_version';
