-- Streams per client address and instance, so the per-address stream cap holds across
-- instances (like `presence` for the per-user cap); gone with its instance.
CREATE TABLE address_streams (
    instance_id TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    address     TEXT NOT NULL,
    streams     INTEGER NOT NULL CHECK (streams > 0),
    PRIMARY KEY (instance_id, address)
);
CREATE INDEX address_streams_address_idx ON address_streams (address);

-- Registration attempts per client address, counted before the expensive work (bcrypt) so
-- the per-minute limit holds across instances and under concurrency.
CREATE TABLE registration_attempts (
    id           BIGSERIAL PRIMARY KEY,
    address      TEXT NOT NULL,
    attempted_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX registration_attempts_address_idx ON registration_attempts (address, attempted_at);
