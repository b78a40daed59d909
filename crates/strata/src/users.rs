//! `strata user`: the users file of `[auth] mode = "plain"`.

use std::{path::PathBuf, process::ExitCode};

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user (or set a user's password): reads the password from standard input (its
    /// first line) and writes an argon2id hash to the users file.
    Add {
        /// The user name.
        name: String,
        /// The users file (created when missing).
        #[arg(long, value_name = "FILE")]
        users_file: PathBuf,
        /// Groups of the user (comma-separated).
        #[arg(long, value_delimiter = ',')]
        groups: Vec<String>,
    },
}

/// Run one `strata user` command.
pub fn run(command: UserCommand) -> ExitCode {
    let UserCommand::Add { name, users_file, groups } = command;
    let mut password = String::new();
    if let Err(e) = std::io::stdin().read_line(&mut password) {
        eprintln!("strata user add: cannot read the password from standard input: {e}");
        return ExitCode::FAILURE;
    }
    let password = password.trim_end_matches(['\n', '\r']);
    if password.is_empty() {
        eprintln!("strata user add: empty password (give it on standard input)");
        return ExitCode::from(2);
    }
    match strata_server::users::add_user(&users_file, &name, password, &groups) {
        Ok(()) => {
            eprintln!("user {name} written to {}", users_file.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("strata user add: {e}");
            ExitCode::FAILURE
        }
    }
}
