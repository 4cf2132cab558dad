-- Login attempts are counted before bcrypt runs (a reservation), so the limit cannot be raced.
-- A row in login_failures is now an attempt that was let through to bcrypt and did not succeed
-- (or is still being evaluated). `allowance` marks an attempt counted against the small
-- separate allowance of an address that has signed in to this account before, instead of the
-- account's main bucket, which strangers fill.
ALTER TABLE login_failures ADD COLUMN allowance BOOLEAN NOT NULL DEFAULT false;

-- Addresses (keyed HMAC, never the address itself) from which an account has proved its key:
-- a login from one of them keeps a small allowance when strangers have used up the account's
-- failures. Forgotten after LOGIN_KNOWN_ADDRESS_DAYS without a success.
CREATE TABLE login_known_addresses (
    user_id         UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    address_hash    BYTEA NOT NULL,
    last_success_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, address_hash)
);
