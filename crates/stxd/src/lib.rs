//! The stxd server.
