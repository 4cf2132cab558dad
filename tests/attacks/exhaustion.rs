//! Exhaustion: memory, connections and registrations an attacker could pile up.
