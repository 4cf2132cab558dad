//! What a request brings with it, for any handler: its JSON body read by hand, who is asking
//! (address, request id, user agent) and the socket under it. Core plumbing: it knows the
//! settings and nothing of the features, so features and `http` alike use it.

pub mod body;
pub mod conn;
pub mod meta;
