//! Statistics and output: a terminal table, JSON, and an SVG chart of the ratios.

use std::time::Duration;

use serde::Serialize;

/// Latency statistics of one workload on one server, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Fastest repetition.
    pub min_ms: f64,
    /// Median repetition.
    pub median_ms: f64,
    /// 99th percentile (nearest rank).
    pub p99_ms: f64,
    /// Items (partitions, or calls for unsized workloads) per second at the median.
    pub per_sec: f64,
    /// Repetitions measured.
    pub samples: usize,
}

impl Summary {
    /// Summarise durations; `items` is what one repetition processes.
    #[must_use]
    pub fn of(durations: &[Duration], items: usize) -> Self {
        let mut ms: Vec<f64> = durations.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        ms.sort_by(f64::total_cmp);
        let pick = |q: f64| -> f64 {
            if ms.is_empty() {
                return 0.0;
            }
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
            let idx = ((q * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1;
            ms[idx]
        };
        let median = pick(0.5);
        #[allow(clippy::cast_precision_loss)]
        let per_sec = if median > 0.0 { items as f64 / (median / 1000.0) } else { 0.0 };
        Self {
            min_ms: ms.first().copied().unwrap_or(0.0),
            median_ms: median,
            p99_ms: pick(0.99),
            per_sec,
            samples: ms.len(),
        }
    }
}

/// One workload's results.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Workload name.
    pub workload: String,
    /// The server under test.
    pub target: Summary,
    /// The baseline, if one ran.
    pub baseline: Option<Summary>,
    /// Why the baseline could not run this workload (it failed or dropped the connection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_error: Option<String>,
}

impl Row {
    /// How many times faster the target is (baseline median / target median).
    #[must_use]
    pub fn speedup(&self) -> Option<f64> {
        self.baseline.as_ref().filter(|_| self.target.median_ms > 0.0).map(|b| b.median_ms / self.target.median_ms)
    }
}

/// Concurrent throughput results.
#[derive(Debug, Clone, Serialize)]
pub struct Throughput {
    /// Workload name.
    pub workload: String,
    /// Calls per second on the target.
    pub target_calls_per_sec: f64,
    /// Calls per second on the baseline.
    pub baseline_calls_per_sec: Option<f64>,
}

/// A whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Target URI.
    pub target: String,
    /// Baseline URI.
    pub baseline: Option<String>,
    /// Latency workloads.
    pub rows: Vec<Row>,
    /// Throughput workloads.
    pub throughput: Vec<Throughput>,
}

impl Report {
    /// A table for the terminal.
    #[must_use]
    pub fn table(&self) -> String {
        let mut t = comfy_table::Table::new();
        t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
        let mut header = vec!["workload", "min ms", "median ms", "p99 ms", "items/s"];
        if self.baseline.is_some() {
            header.extend(["baseline median ms", "baseline p99 ms", "speedup"]);
        }
        t.set_header(header);
        for r in &self.rows {
            let mut cells = vec![
                r.workload.clone(),
                format!("{:.3}", r.target.min_ms),
                format!("{:.3}", r.target.median_ms),
                format!("{:.3}", r.target.p99_ms),
                format!("{:.0}", r.target.per_sec),
            ];
            if let Some(b) = &r.baseline {
                cells.push(format!("{:.3}", b.median_ms));
                cells.push(format!("{:.3}", b.p99_ms));
                cells.push(r.speedup().map_or_else(String::new, |s| format!("{s:.1}x")));
            }
            t.add_row(cells);
        }
        for th in &self.throughput {
            let mut cells = vec![
                th.workload.clone(),
                String::new(),
                String::new(),
                String::new(),
                format!("{:.0}", th.target_calls_per_sec),
            ];
            if self.baseline.is_some() {
                let b = th.baseline_calls_per_sec.unwrap_or(0.0);
                cells.extend([
                    format!("{b:.0} calls/s"),
                    String::new(),
                    if b > 0.0 { format!("{:.1}x", th.target_calls_per_sec / b) } else { String::new() },
                ]);
            }
            t.add_row(cells);
        }
        t.to_string()
    }

    /// The report as JSON.
    pub fn json(&self) -> Result<String, String> {
        serde_json::to_string_pretty(self).map_err(|e| e.to_string())
    }

    /// An SVG bar chart of the speedups (log scale), one bar per workload with a baseline.
    pub fn plot(&self, path: &std::path::Path) -> Result<(), String> {
        use plotters::prelude::*;
        let bars: Vec<(String, f64)> =
            self.rows.iter().filter_map(|r| r.speedup().map(|s| (r.workload.clone(), s))).collect();
        if bars.is_empty() {
            return Err("no baseline results to plot (run with --baseline)".to_string());
        }
        let height = 120 + 28 * u32::try_from(bars.len()).unwrap_or(100);
        let root = SVGBackend::new(path, (900, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let max = bars.iter().map(|(_, s)| *s).fold(1.0_f64, f64::max) * 1.5;
        let n = bars.len();
        let mut chart = ChartBuilder::on(&root)
            .caption("Strata speedup over the baseline (median latency, log scale)", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(260)
            .build_cartesian_2d((0.1_f64..max).log_scale(), (0..n).into_segmented())
            .map_err(|e| e.to_string())?;
        let labels = bars.clone();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc("times faster")
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels.get(*i).map(|(l, _)| l.clone()).unwrap_or_default(),
                _ => String::new(),
            })
            .y_labels(n)
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, s))| {
                let color = if *s >= 1.0 { RGBColor(46, 125, 50) } else { RGBColor(198, 40, 40) };
                Rectangle::new([(0.1, SegmentValue::Exact(i)), (*s, SegmentValue::Exact(i + 1))], color.filled())
            }))
            .map_err(|e| e.to_string())?;
        root.present().map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_statistics() {
        let d: Vec<Duration> = [5, 1, 3, 2, 4].iter().map(|ms| Duration::from_millis(*ms)).collect();
        let s = Summary::of(&d, 10);
        assert!((s.min_ms - 1.0).abs() < 1e-9);
        assert!((s.median_ms - 3.0).abs() < 1e-9);
        assert!((s.p99_ms - 5.0).abs() < 1e-9);
        assert!((s.per_sec - 10.0 / 0.003).abs() < 1e-6);
    }

    #[test]
    fn speedup_and_outputs() {
        let row = Row {
            workload: "get_table".into(),
            target: Summary::of(&[Duration::from_millis(1)], 1),
            baseline: Some(Summary::of(&[Duration::from_millis(10)], 1)),
            baseline_error: None,
        };
        assert!((row.speedup().unwrap() - 10.0).abs() < 1e-9);
        let report = Report { target: "a".into(), baseline: Some("b".into()), rows: vec![row], throughput: vec![] };
        assert!(report.table().contains("10.0x"));
        assert!(report.json().unwrap().contains("\"workload\": \"get_table\""));
        let svg = std::env::temp_dir().join(format!("strata-bench-{}.svg", uuid::Uuid::new_v4().simple()));
        report.plot(&svg).unwrap();
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(text.contains("<svg") && text.contains("get_table"));
        let _ = std::fs::remove_file(svg);
    }
}
