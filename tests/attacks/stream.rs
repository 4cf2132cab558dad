//! The event stream: resume points, caps, stalled readers.
