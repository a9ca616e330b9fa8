//! The SEI developer CSV (SPEC §5): parse and validate on import, write on export.
//!
//! Architecture invariant: pure; works on bytes and rows, never opens a file.
