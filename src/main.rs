//! Binary entry point: maps the result of [`chapter_integrator::main_with_args`] to an
//! exit status (0 done, 1 findings of error severity or a refused branch, 2 tool failure).

fn main() {
    let code = chapter_integrator::main_with_args(std::env::args_os());
    std::process::exit(code);
}
