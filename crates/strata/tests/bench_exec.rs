//! `strata bench` runs the `strata-bench` binary next to `strata`; without it, it says what to
//! build instead of failing obscurely.

use std::process::Command;

#[test]
fn bench_without_its_binary_says_what_to_build() {
    let dir = std::env::temp_dir().join(format!("strata-bench-exec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let alone = dir.join("strata");
    std::fs::copy(env!("CARGO_BIN_EXE_strata"), &alone).unwrap();
    let out = Command::new(&alone).args(["bench", "--uri", "thrift://127.0.0.1:1", "--json"]).output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("strata-bench") && stderr.contains("cargo build -p strata-bench"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn help_lists_bench_among_the_commands() {
    let out = Command::new(env!("CARGO_BIN_EXE_strata")).arg("--help").output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("bench") && stdout.contains("serve"), "{stdout}");
}
