//! What the server counts for `/metrics` (Prometheus / OpenMetrics text, encoded by
//! `prometheus-client`).
//!
//! The Thrift hot path only touches atomics and one read-locked map lookup per call: method
//! labels are the `&'static str` names of the IDL (anything else is `unknown`, so a client
//! sending made-up method names cannot grow the label set), and exception labels are the fixed
//! HMS exception names. Gauges of the database (pool, locks, moves) are read by the admin
//! listener at scrape time with [`Metrics::set_store_gauges`].

use std::{
    collections::HashMap,
    sync::{atomic::AtomicU64, Mutex},
    time::Duration,
};

use prometheus_client::{
    encoding::{text::encode, EncodeLabelSet},
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};

/// `method="…"`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MethodLabel {
    /// The Thrift method.
    pub method: &'static str,
}

/// `method="…",exception="…"`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    /// The Thrift method.
    pub method: &'static str,
    /// The HMS exception sent (`NoSuchObjectException`, …, or `TApplicationException`).
    pub exception: &'static str,
}

/// `reason="…"`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    /// Why.
    pub reason: &'static str,
}

/// Latency buckets in seconds: 100 µs to 30 s.
const BUCKETS: [f64; 16] =
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0];

fn latency_histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

/// Database figures read at scrape time.
#[derive(Debug, Clone, Copy, Default)]
pub struct StoreGauges {
    /// Connections open in the pool.
    pub pool_size: i64,
    /// Of those, idle.
    pub pool_idle: i64,
    /// The pool's maximum.
    pub pool_max: i64,
    /// Lock components held or waiting (`show_locks`); `None` keeps the last value.
    pub locks: Option<i64>,
    /// Storage moves started and not finished; `None` keeps the last value.
    pub moves_pending: Option<i64>,
    /// History rows this process appended (monotonic).
    pub history_rows_written: u64,
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    methods: HashMap<&'static str, &'static str>,
    calls: Family<MethodLabel, Counter>,
    durations: Family<MethodLabel, Histogram, fn() -> Histogram>,
    errors: Family<ErrorLabels, Counter>,
    connections_open: Gauge,
    connections: Counter,
    rejected: Family<ReasonLabel, Counter>,
    denied: Family<MethodLabel, Counter>,
    bytes_in: Counter,
    bytes_out: Counter,
    pool_size: Gauge,
    pool_in_use: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
    locks: Gauge,
    moves_pending: Gauge,
    history_rows: Counter<u64, AtomicU64>,
    /// Serialises scrapes (the history counter is advanced by a difference).
    scrape: Mutex<()>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Every metric, registered.
    #[must_use]
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("strata");
        let calls = Family::<MethodLabel, Counter>::default();
        let durations = Family::<MethodLabel, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        let errors = Family::<ErrorLabels, Counter>::default();
        let (connections_open, connections) = (Gauge::default(), Counter::default());
        let rejected = Family::<ReasonLabel, Counter>::default();
        let denied = Family::<MethodLabel, Counter>::default();
        let (bytes_in, bytes_out) = (Counter::default(), Counter::default());
        let (pool_size, pool_in_use, pool_idle, pool_max) =
            (Gauge::default(), Gauge::default(), Gauge::default(), Gauge::default());
        let (locks, moves_pending) = (Gauge::default(), Gauge::default());
        let history_rows = Counter::<u64, AtomicU64>::default();
        registry.register("thrift_calls", "Thrift calls answered, by method", calls.clone());
        registry.register(
            "thrift_call_duration_seconds",
            "Time from reading a call to flushing its reply, by method",
            durations.clone(),
        );
        registry.register(
            "thrift_errors",
            "Calls answered with an exception, by method and exception type",
            errors.clone(),
        );
        registry.register("thrift_connections_open", "Thrift connections open now", connections_open.clone());
        registry.register("thrift_connections", "Thrift connections accepted", connections.clone());
        registry.register(
            "thrift_connections_rejected",
            "Thrift connections refused (not a Thrift client Strata serves, or no thread for it), by reason",
            rejected.clone(),
        );
        registry.register(
            "authz_denied",
            "Calls refused by the authorization policy (answered with a MetaException), by method",
            denied.clone(),
        );
        registry.register("thrift_received_bytes", "Bytes of Thrift calls read", bytes_in.clone());
        registry.register("thrift_sent_bytes", "Bytes of Thrift replies written", bytes_out.clone());
        registry.register("db_pool_connections", "Database connections open in the pool", pool_size.clone());
        registry.register("db_pool_in_use", "Database connections in use", pool_in_use.clone());
        registry.register("db_pool_idle", "Database connections idle in the pool", pool_idle.clone());
        registry.register("db_pool_max", "Most database connections the pool opens", pool_max.clone());
        registry.register("locks_held", "HMS lock components held or waiting", locks.clone());
        registry.register(
            "storage_moves_pending",
            "Moves of data to or from the retained area that started and did not finish",
            moves_pending.clone(),
        );
        registry.register(
            "history_rows_written",
            "Location history rows appended by this process",
            history_rows.clone(),
        );
        // Both reasons from the start, so a dashboard sees zeros rather than no series.
        for reason in ["unsupported_protocol", "no_thread"] {
            rejected.get_or_create(&ReasonLabel { reason }).get();
        }
        let methods = strata_thrift::methods::SERVED_METHODS.iter().map(|m| (*m, *m)).collect();
        Self {
            registry,
            methods,
            calls,
            durations,
            errors,
            connections_open,
            connections,
            rejected,
            denied,
            bytes_in,
            bytes_out,
            pool_size,
            pool_in_use,
            pool_idle,
            pool_max,
            locks,
            moves_pending,
            history_rows,
            scrape: Mutex::new(()),
        }
    }

    /// The label of a method name as a client sent it.
    #[must_use]
    pub fn method(&self, name: &str) -> &'static str {
        self.methods.get(name).copied().unwrap_or("unknown")
    }

    /// One call answered.
    pub fn call(&self, method: &'static str, elapsed: Duration, bytes_in: u64, bytes_out: u64) {
        let label = MethodLabel { method };
        self.calls.get_or_create(&label).inc();
        self.durations.get_or_create(&label).observe(elapsed.as_secs_f64());
        self.bytes_in.inc_by(bytes_in);
        self.bytes_out.inc_by(bytes_out);
    }

    /// One call answered with `exception`.
    pub fn error(&self, method: &str, exception: &'static str) {
        let method = self.method(method);
        self.errors.get_or_create(&ErrorLabels { method, exception }).inc();
    }

    /// A connection was accepted; it counts as open until [`Metrics::connection_closed`].
    pub fn connection_opened(&self) {
        self.connections.inc();
        self.connections_open.inc();
    }

    /// A connection ended.
    pub fn connection_closed(&self) {
        self.connections_open.dec();
    }

    /// A connection was refused.
    pub fn rejected(&self, reason: &'static str) {
        self.rejected.get_or_create(&ReasonLabel { reason }).inc();
    }

    /// A call refused by the authorization policy.
    pub fn denied(&self, method: &str) {
        let method = self.method(method);
        self.denied.get_or_create(&MethodLabel { method }).inc();
    }

    /// Set the database gauges and encode everything.
    #[must_use]
    pub fn encode_with(&self, store: Option<StoreGauges>) -> String {
        let _scrape = self.scrape.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(g) = store {
            self.pool_size.set(g.pool_size);
            self.pool_idle.set(g.pool_idle);
            self.pool_in_use.set((g.pool_size - g.pool_idle).max(0));
            self.pool_max.set(g.pool_max);
            if let Some(locks) = g.locks {
                self.locks.set(locks);
            }
            if let Some(moves) = g.moves_pending {
                self.moves_pending.set(moves);
            }
            let seen = self.history_rows.get();
            if g.history_rows_written > seen {
                self.history_rows.inc_by(g.history_rows_written - seen);
            }
        }
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_errors_and_gauges_are_encoded() {
        let m = Metrics::new();
        let get_table = m.method("get_table");
        assert_eq!(get_table, "get_table");
        assert_eq!(m.method("no_such_method_at_all"), "unknown");
        m.call(get_table, Duration::from_millis(2), 100, 200);
        m.call(get_table, Duration::from_millis(3), 100, 200);
        m.error("get_table", "NoSuchObjectException");
        m.connection_opened();
        m.rejected("unsupported");
        let text = m.encode_with(Some(StoreGauges {
            pool_size: 3,
            pool_idle: 1,
            pool_max: 16,
            locks: Some(2),
            moves_pending: Some(0),
            history_rows_written: 7,
        }));
        assert!(text.contains("strata_thrift_calls_total{method=\"get_table\"} 2"), "{text}");
        assert!(text.contains("strata_thrift_call_duration_seconds_count{method=\"get_table\"} 2"), "{text}");
        assert!(
            text.contains("strata_thrift_errors_total{method=\"get_table\",exception=\"NoSuchObjectException\"} 1"),
            "{text}"
        );
        assert!(text.contains("strata_thrift_received_bytes_total 200"), "{text}");
        assert!(text.contains("strata_db_pool_in_use 2"), "{text}");
        assert!(text.contains("strata_history_rows_written_total 7"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
        // The history counter follows the store's, never backwards.
        let text = m.encode_with(Some(StoreGauges { history_rows_written: 9, ..StoreGauges::default() }));
        assert!(text.contains("strata_history_rows_written_total 9"), "{text}");
    }
}
