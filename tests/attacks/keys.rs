//! Keys: the one key policy every client enforces, enforced by the server too.
