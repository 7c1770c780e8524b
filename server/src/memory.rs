//! How the process asks the allocator to keep its resident memory close to what it uses.
//!
//! Trees are the bulk of it (tree-sitter allocates about 20 bytes per byte of source, in
//! hundreds of thousands of small blocks), and they are built on whichever thread parses:
//! the LSP loop on `didOpen`, a blocking thread after a pause in typing, the workspace
//! index's walkers. glibc gives each such thread its own arena, and what a thread frees
//! stays in its arena, so a tree freed by one thread is not reused by the next parse on
//! another: resident memory grows by trees' worth. Two arenas (one per core of the machines
//! we measure on) keep the threads from waiting on one lock while letting freed trees be
//! reused.

/// Caps glibc's malloc arenas; call it first thing in `main`, before threads start.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
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
