//! Binary entry point: maps the result of [`chapter_integrator::main_with_args`] to an
//! exit status (0 done, 1 findings of error severity or a refused branch, 2 tool failure).

// The run works on a thread of its own (for its stack); glibc's allocator grows such a
// thread's heap a page range at a time, one `mprotect` call each (thousands per run).
// mimalloc serves it from larger segments.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let code = chapter_integrator::main_with_args(std::env::args_os());
    std::process::exit(code);
}
