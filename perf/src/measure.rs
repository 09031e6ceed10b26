//! Latency histograms (HDR, microseconds) and the figures every benchmark reports.

use hdrhistogram::Histogram;
use serde_json::{json, Value};
use std::time::Duration;

/// Records latencies from 1 µs to 60 s with 3 significant digits.
#[allow(clippy::expect_used)] // constant, valid bounds: a failure here is a programming error
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("1 µs .. 60 s at 3 digits is a valid histogram")
}

/// One measured run: how many operations in how long, and their latency distribution.
#[derive(Debug, Clone)]
pub struct Figures {
    pub operations: u64,
    pub elapsed: Duration,
    pub latency: Histogram<u64>,
    pub errors: u64,
}

impl Figures {
    pub fn per_second(&self) -> f64 {
        self.operations as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    fn ms(&self, quantile: f64) -> f64 {
        self.latency.value_at_quantile(quantile) as f64 / 1000.0
    }

    pub fn p50_ms(&self) -> f64 {
        self.ms(0.50)
    }

    pub fn p95_ms(&self) -> f64 {
        self.ms(0.95)
    }

    pub fn p99_ms(&self) -> f64 {
        self.ms(0.99)
    }

    pub fn max_ms(&self) -> f64 {
        self.latency.max() as f64 / 1000.0
    }

    pub fn to_json(&self) -> Value {
        json!({
            "operations": self.operations,
            "seconds": self.elapsed.as_secs_f64(),
            "per_second": self.per_second(),
            "p50_ms": self.p50_ms(),
            "p95_ms": self.p95_ms(),
            "p99_ms": self.p99_ms(),
            "max_ms": self.max_ms(),
            "errors": self.errors,
        })
    }
}
