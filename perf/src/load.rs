//! The closed-loop HTTP load harness: N connection tasks, each sending its next request as soon
//! as the previous one answered, for a warm-up and then a measured window.

use crate::http1::Client;
use crate::measure::{histogram, Figures};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const WARMING: u8 = 0;
const MEASURING: u8 = 1;
const STOPPED: u8 = 2;

/// Runs `connections` loops of `request(n)` for `warmup` then `seconds` seconds. The requests
/// that start inside the measured window count, including those that end after it (the window
/// then lasts until the last of them answered), so a request slower than the window still shows
/// in the rate and the latencies instead of vanishing. `request` answers whether it succeeded.
/// Connection `c` numbers its requests from `c * 1_000_003`.
pub async fn load<F, Fut>(connections: usize, warmup: u64, seconds: u64, request: F) -> Figures
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let phase = Arc::new(AtomicU8::new(WARMING));
    let request = Arc::new(request);
    let mut tasks = Vec::new();
    for c in 0..connections {
        let phase = phase.clone();
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let (mut latency, mut ok, mut errors, mut n) = (histogram(), 0u64, 0u64, c as u64 * 1_000_003);
            let mut last_end = None;
            loop {
                let state = phase.load(Ordering::Relaxed);
                if state == STOPPED {
                    break;
                }
                n += 1;
                let started = Instant::now();
                let success = request(n).await;
                if state == MEASURING {
                    let ended = Instant::now();
                    if success {
                        let _ = latency.record((ended.duration_since(started).as_micros() as u64).max(1));
                        ok += 1;
                    } else {
                        errors += 1;
                    }
                    last_end = Some(ended);
                }
            }
            (latency, ok, errors, last_end)
        }));
    }
    tokio::time::sleep(Duration::from_secs(warmup)).await;
    phase.store(MEASURING, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    phase.store(STOPPED, Ordering::Relaxed);
    let mut ended = Instant::now();
    let mut figures = Figures { operations: 0, elapsed: Duration::ZERO, latency: histogram(), errors: 0 };
    for task in tasks {
        if let Ok((latency, ok, errors, last_end)) = task.await {
            let _ = figures.latency.add(&latency);
            figures.operations += ok;
            figures.errors += errors;
            ended = ended.max(last_end.unwrap_or(ended));
        }
    }
    figures.elapsed = ended.duration_since(started);
    figures
}

/// Sends GET requests and counts anything but `expected` as an error, printing the first few
/// error answers (status and body) to stderr.
#[derive(Debug, Clone)]
pub struct Getter {
    client: Arc<Client>,
    key: Option<Arc<str>>,
    expected: u16,
    label: Arc<str>,
    shown: Arc<AtomicUsize>,
}

/// How many error answers each [`Getter`] prints.
const SHOWN_ERRORS: usize = 5;

impl Getter {
    pub fn new(client: Arc<Client>, label: &str, key: Option<&str>) -> Self {
        Self { client, key: key.map(Arc::from), expected: 200, label: Arc::from(label), shown: Arc::default() }
    }

    /// GET `url` (of the client's server), read the whole body; true when the status was the
    /// expected one.
    pub async fn get(&self, url: &str) -> bool {
        let request = self.client.request("GET", url, self.key.as_deref(), None);
        match self.client.send(&request).await {
            Ok(answer) if answer.status == self.expected => true,
            Ok(answer) => {
                self.show(&format!("{} {url}: {}", answer.status, String::from_utf8_lossy(&answer.body)));
                false
            }
            Err(e) => {
                self.show(&format!("{url}: {e}"));
                false
            }
        }
    }

    fn show(&self, what: &str) {
        if self.shown.fetch_add(1, Ordering::Relaxed) < SHOWN_ERRORS {
            use std::io::Write;
            let mut text: String = what.chars().take(600).collect();
            if text.len() < what.len() {
                text.push_str(" ...");
            }
            let _ = writeln!(std::io::stderr(), "[{}] error: {text}", self.label);
        }
    }

    /// Error answers seen so far (shown or not).
    pub fn errors_seen(&self) -> usize {
        self.shown.load(Ordering::Relaxed)
    }
}
