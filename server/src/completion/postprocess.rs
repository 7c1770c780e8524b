//! Post-processing of a completion answer (filled in by the diff/post-processing work).
