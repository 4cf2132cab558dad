//! Authentication: login throttles, credential guessing, account enumeration.
