//! The audit log: one JSON object per line per catalog call (what Apache HMS's
//! `HiveMetaStore.audit` logger writes as free text): time, principal, client address, method,
//! database and table, outcome, latency.
//!
//! Calls hand their line to a writer thread through a bounded channel, so a call never waits on
//! the disk unless the writer is more than [`QUEUE`] lines behind (then calls wait: the log
//! stays complete rather than dropping lines). The writer flushes whenever it has caught up.

use std::{
    io::{self, Write},
    net::SocketAddr,
    path::Path,
    sync::mpsc::{sync_channel, Receiver, SyncSender},
    time::Duration,
};

use serde::Serialize;

/// Lines queued before calls wait for the writer.
const QUEUE: usize = 16 * 1024;

/// One audit record.
#[derive(Debug, Serialize)]
pub struct Record<'a> {
    /// RFC 3339 UTC, milliseconds.
    pub time: String,
    /// The `set_ugi` user, else the client address.
    pub principal: &'a str,
    /// The client's address.
    pub client: SocketAddr,
    /// The Thrift method.
    pub method: &'a str,
    /// Database, when the call names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub db: Option<&'a str>,
    /// Table, when the call names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<&'a str>,
    /// `ok`, or the HMS exception sent.
    pub outcome: &'a str,
    /// The exception's message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<&'a str>,
    /// Milliseconds in the catalog.
    pub latency_ms: f64,
    /// The id the call's history rows and log lines carry.
    pub request_id: &'a str,
}

/// Where audit lines go.
#[derive(Debug, Clone)]
pub struct AuditLog {
    tx: SyncSender<String>,
}

impl AuditLog {
    /// Append to `file` (created if missing), or write to stdout when `file` is `-`.
    pub fn open(file: &str) -> io::Result<Self> {
        let out: Box<dyn Write + Send> = if file == "-" {
            Box::new(io::stdout())
        } else {
            Box::new(std::fs::OpenOptions::new().create(true).append(true).open(Path::new(file))?)
        };
        Ok(Self::to_writer(out))
    }

    /// Write lines to `out` on a thread of their own.
    pub fn to_writer(out: Box<dyn Write + Send>) -> Self {
        let (tx, rx) = sync_channel(QUEUE);
        let spawned = std::thread::Builder::new().name("audit-log".into()).spawn(move || write_lines(&rx, out));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "could not start the audit log writer; audit lines are lost");
        }
        Self { tx }
    }

    /// Log one call.
    pub fn log(&self, record: &Record<'_>) {
        match serde_json::to_string(record) {
            Ok(line) => {
                // The writer is gone only if its thread died; that was logged.
                let _ = self.tx.send(line);
            }
            Err(e) => tracing::warn!(error = %e, "could not encode an audit record"),
        }
    }
}

fn write_lines(rx: &Receiver<String>, mut out: Box<dyn Write + Send>) {
    let mut failing = false;
    while let Ok(first) = rx.recv() {
        let mut result = writeln!(out, "{first}");
        while let Ok(line) = rx.recv_timeout(Duration::ZERO) {
            result = result.and_then(|()| writeln!(out, "{line}"));
        }
        result = result.and_then(|()| out.flush());
        match result {
            Err(e) if !failing => {
                tracing::error!(error = %e, "audit log write failed");
                failing = true;
            }
            Ok(()) => failing = false,
            Err(_) => {}
        }
    }
}

/// `db` and `table` of a call target `db.table` (or just `db`).
#[must_use]
pub fn split_target(target: &str) -> (Option<&str>, Option<&str>) {
    if target.is_empty() {
        return (None, None);
    }
    match target.split_once('.') {
        Some((db, table)) => (Some(db), Some(table).filter(|t| !t.is_empty())),
        None => (Some(target), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn one_json_line_per_call() {
        let sink = Shared::default();
        let log = AuditLog::to_writer(Box::new(sink.clone()));
        let (db, table) = split_target("sales.items");
        log.log(&Record {
            time: "2026-01-01T00:00:00.000Z".into(),
            principal: "alice",
            client: "127.0.0.1:5000".parse().unwrap(),
            method: "get_table",
            db,
            table,
            outcome: "NoSuchObjectException",
            error: Some("sales.items table not found"),
            latency_ms: 1.5,
            request_id: "r1",
        });
        let text = loop {
            let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
            if text.ends_with('\n') {
                break text;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let v: serde_json::Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(v["principal"], "alice");
        assert_eq!(v["db"], "sales");
        assert_eq!(v["table"], "items");
        assert_eq!(v["outcome"], "NoSuchObjectException");
        assert_eq!(split_target("db"), (Some("db"), None));
        assert_eq!(split_target(""), (None, None));
    }
}
