//! The event stream feature: `GET /api/events`, one SSE stream per connection that replays the
//! user's log from the resume point and then goes live (docs/protocol.md §7). The log, the hub
//! and the outbox it is made of are in `events`; this is where they meet auth, presence and
//! sessions.

mod live;
pub mod routes;
