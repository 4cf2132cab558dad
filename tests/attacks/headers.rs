//! HTTP headers and TLS: error bodies that match their headers, cross-site requests, metrics exposure.
