//! Tokens and sessions: refresh rotation, reuse, cross-site use of the refresh cookie.
