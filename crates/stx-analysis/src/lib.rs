//! Frame measurement (issue 4).
