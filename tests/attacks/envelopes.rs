//! Envelopes: shapes the server must refuse, and what it must never accept.
