//! Phase timings for benchmarking: with `CHAPTER_INTEGRATOR_TIMINGS=1` in the environment,
//! each finished phase prints `timing: <phase> <milliseconds> ms` to standard error.

use std::time::Instant;

/// A running phase; [`Phase::done`] reports its wall time when timings are on.
pub struct Phase {
    name: std::borrow::Cow<'static, str>,
    start: Instant,
}

impl Phase {
    /// Starts timing the phase `name`.
    pub fn start(name: impl Into<std::borrow::Cow<'static, str>>) -> Self {
        Phase { name: name.into(), start: Instant::now() }
    }

    /// Prints the phase's wall time (milliseconds) when `CHAPTER_INTEGRATOR_TIMINGS` is set.
    pub fn done(self) {
        if std::env::var_os("CHAPTER_INTEGRATOR_TIMINGS").is_some() {
            eprintln!("timing: {} {:.1} ms", self.name, self.start.elapsed().as_secs_f64() * 1000.0);
        }
    }
}

/// Prints `timing: <what>` when `CHAPTER_INTEGRATOR_TIMINGS` is set (a count, not a time).
pub fn note(what: impl FnOnce() -> String) {
    if std::env::var_os("CHAPTER_INTEGRATOR_TIMINGS").is_some() {
        eprintln!("timing: {}", what());
    }
}
