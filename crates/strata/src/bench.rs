//! `strata bench`: the load generator is its own binary, `strata-bench`, installed next to this
//! one (so the server binary does not link its chart code); this runs it with the same
//! arguments.

use std::{ffi::OsString, path::PathBuf, process::ExitCode};

/// Arguments of `strata bench`: handed to `strata-bench` unread (`strata bench --help` lists
/// them).
#[derive(Debug, clap::Args)]
#[command(disable_help_flag = true)]
pub struct BenchArgs {
    /// The load generator's arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "ARGS")]
    pub args: Vec<OsString>,
}

/// The `strata-bench` binary next to the running one.
fn sibling() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot tell where this binary is: {e}"))?;
    Ok(exe.with_file_name(format!("strata-bench{}", std::env::consts::EXE_SUFFIX)))
}

/// Run `strata-bench` with `args` in place of this process (on Unix; elsewhere as a child whose
/// exit code is ours).
pub fn run(args: BenchArgs) -> ExitCode {
    let bench = match sibling() {
        Ok(path) => path,
        Err(e) => {
            eprintln!("strata bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    if !bench.is_file() {
        eprintln!(
            "strata bench: the load generator is a separate binary, strata-bench, expected at {}; build it with \
             `cargo build -p strata-bench` (add --release as for strata) and keep it next to strata",
            bench.display()
        );
        return ExitCode::FAILURE;
    }
    let mut command = std::process::Command::new(&bench);
    command.args(&args.args);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let e = command.exec();
        eprintln!("strata bench: cannot run {}: {e}", bench.display());
        ExitCode::FAILURE
    }
    #[cfg(not(unix))]
    match command.status() {
        Ok(status) => ExitCode::from(status.code().and_then(|c| u8::try_from(c).ok()).unwrap_or(1)),
        Err(e) => {
            eprintln!("strata bench: cannot run {}: {e}", bench.display());
            ExitCode::FAILURE
        }
    }
}
