//! How the process asks the allocator to keep its resident memory close to what it uses.
//!
//! Trees are the bulk of it (tree-sitter allocates about 20 bytes per byte of source, in
//! hundreds of thousands of small blocks), and they are built on whichever thread parses:
//! the LSP loop on `didOpen`, a blocking thread after a pause in typing, the workspace
//! index's walkers. glibc gives threads arenas of their own, and a block freed goes back to
//! the arena it came from: a reparse on a blocking thread builds its nodes in that thread's
//! arena while the nodes it replaces are freed into another, where the next reparse may not
//! reuse them, and resident memory grows by trees' worth. One arena lets every parse reuse
//! what any tree freed. Its lock is rarely contended: glibc's per-thread caches serve most
//! small blocks without it, and the server runs few threads. (The 20,000-line scenario of
//! BENCHMARKS.md: 42 MiB peak with two arenas, 39 MiB with one.)

/// One malloc arena for the whole process; call it first thing in `main`, before threads
/// start.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// Returns freed memory to the system, after work that freed a lot of it at once (the
/// workspace index's build parses every file and keeps only its symbols).
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim walks the allocator's own free lists; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}
