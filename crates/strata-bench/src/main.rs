//! `strata-bench`: the load generator behind `strata bench` (which execs this binary with its
//! arguments), kept out of the server binary so that does not link the chart code.

use std::process::ExitCode;

use clap::Parser;

/// The same allocator as the server binary, so the client's share of each timed call is what
/// it was when the bench ran inside `strata`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    strata_bench::command::run(strata_bench::command::BenchArgs::parse())
}
