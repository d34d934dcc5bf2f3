//! Latency percentiles over recorded samples.

/// Latency samples in microseconds.
#[derive(Default)]
pub struct Latencies {
    samples: Vec<u32>,
}

impl Latencies {
    /// Records one sample.
    pub fn record(&mut self, micros: u64) {
        self.samples.push(u32::try_from(micros).unwrap_or(u32::MAX));
    }

    /// Adds another set of samples.
    pub fn merge(&mut self, other: Latencies) {
        self.samples.extend(other.samples);
    }

    /// How many samples.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// p50, p90, p99 and max, in microseconds.
    pub fn summary(&mut self) -> [u32; 4] {
        if self.samples.is_empty() {
            return [0; 4];
        }
        self.samples.sort_unstable();
        let at = |q: f64| self.samples[((self.samples.len() - 1) as f64 * q).round() as usize];
        [at(0.50), at(0.90), at(0.99), at(1.0)]
    }
}
