//! `cargo xtask <command>`: the commands the team runs every day, in one place, with no tool to
//! install (the alias is in `.cargo/config.toml`). Each command prints what it runs.

use std::{
    path::{Path, PathBuf},
    process::{Command, ExitCode},
};

/// What each command runs, in order; the first failing step stops it.
const COMMANDS: &[(&str, &str, &[&[&str]])] = &[
    ("fmt", "format the workspace", &[&["cargo", "fmt", "--all"]]),
    (
        "lint",
        "rustfmt check, clippy with the workspace lints (warnings are errors), Thrift drift",
        &[
            &["cargo", "fmt", "--all", "--check"],
            &["cargo", "clippy", "--workspace", "--all-targets", "--", "-D", "warnings"],
            &["bash", "scripts/check-thrift-drift.sh"],
        ],
    ),
    (
        "unit",
        "the Rust tests of every crate (SQLite; PostgreSQL when STRATA_TEST_PG_URL is set)",
        &[&["cargo", "nextest", "run", "--workspace"]],
    ),
    (
        "test",
        "the README's test command: build, Rust tests, real-client tests on both stores",
        &[&["bash", "scripts/test.sh"]],
    ),
    (
        "serve",
        "start strata on the embedded default (SQLite under ./strata-data, port 9083)",
        &[&["cargo", "run", "--release", "--bin", "strata", "--", "serve"]],
    ),
    (
        "bench",
        "the benchmark against the embedded default (add a baseline with `-- --baseline URI`)",
        &[&["cargo", "run", "--release", "--bin", "strata", "--", "bench"]],
    ),
    (
        "thrift",
        "regenerate crates/strata-thrift from thrift/hive_metastore.thrift",
        &[&["bash", "scripts/thrift-gen.sh"]],
    ),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn usage() {
    eprintln!("usage: cargo xtask <command> [-- extra arguments for the last step]\n");
    for (name, what, _) in COMMANDS {
        eprintln!("  {name:<8} {what}");
    }
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(name) = args.next() else {
        usage();
        return ExitCode::from(2);
    };
    let extra: Vec<String> = args.skip_while(|a| a == "--").collect();
    let Some((_, _, steps)) = COMMANDS.iter().find(|(n, _, _)| *n == name) else {
        if name != "help" {
            eprintln!("xtask: unknown command '{name}'\n");
        }
        usage();
        return ExitCode::from(if name == "help" { 0 } else { 2 });
    };
    for (i, step) in steps.iter().enumerate() {
        let mut words: Vec<String> = step.iter().map(|w| (*w).to_string()).collect();
        if i + 1 == steps.len() {
            words.extend(extra.iter().cloned());
        }
        eprintln!("xtask: {}", words.join(" "));
        let status = Command::new(&words[0]).args(&words[1..]).current_dir(root()).status();
        match status {
            Ok(s) if s.success() => {}
            Ok(s) => return ExitCode::from(u8::try_from(s.code().unwrap_or(1)).unwrap_or(1)),
            Err(e) => {
                eprintln!("xtask: cannot run {}: {e}", words[0]);
                return ExitCode::from(127);
            }
        }
    }
    ExitCode::SUCCESS
}
