//! The open-loop send schedule: Poisson arrivals at a constant mean rate, i.e. exponentially
//! distributed gaps with mean `1 / rate` (wrk2's `-D exp`). Send times are fixed in advance,
//! independent of responses, so a slow server cannot slow the load down (no coordinated
//! omission): latency is measured from these scheduled times.

use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// One exponential gap in seconds for arrivals at `rate` per second (inverse-CDF sampling;
/// `1 - u` is in `(0, 1]`, so the logarithm is finite).
pub fn exponential_gap(rng: &mut impl Rng, rate: f64) -> f64 {
    let u: f64 = rng.random();
    -(1.0 - u).ln() / rate
}

/// Scheduled send offsets from the start of a run, strictly below `duration`, in order.
#[derive(Debug, Clone)]
pub struct PoissonSchedule {
    rate: f64,
    duration: f64,
    next: f64,
    rng: SmallRng,
}

impl PoissonSchedule {
    /// `rate` > 0 requests per second over `duration`; the first arrival is one gap after 0.
    pub fn new(rate: f64, duration: Duration, seed: u64) -> Self {
        assert!(rate > 0.0 && rate.is_finite(), "rate must be positive");
        let mut rng = SmallRng::seed_from_u64(seed);
        let next = exponential_gap(&mut rng, rate);
        PoissonSchedule {
            rate,
            duration: duration.as_secs_f64(),
            next,
            rng,
        }
    }
}

impl Iterator for PoissonSchedule {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        if self.next >= self.duration {
            return None;
        }
        let at = self.next;
        self.next += exponential_gap(&mut self.rng, self.rate);
        Some(Duration::from_secs_f64(at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_have_mean_one_over_rate_and_cv_one() {
        let rate = 2500.0;
        let mut rng = SmallRng::seed_from_u64(11);
        let gaps: Vec<f64> = (0..100_000)
            .map(|_| exponential_gap(&mut rng, rate))
            .collect();
        assert!(gaps.iter().all(|g| g.is_finite() && *g >= 0.0));
        let n = gaps.len() as f64;
        let mean = gaps.iter().sum::<f64>() / n;
        let var = gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let cv = var.sqrt() / mean;
        assert!(
            (mean * rate - 1.0).abs() < 0.02,
            "mean gap {mean}, expected {}",
            1.0 / rate
        );
        assert!((cv - 1.0).abs() < 0.02, "coefficient of variation {cv}");
        // Memorylessness: P(gap > mean) = 1/e.
        let above = gaps.iter().filter(|&&g| g > 1.0 / rate).count() as f64 / n;
        assert!(
            (above - (-1.0f64).exp()).abs() < 0.01,
            "P(gap > mean) = {above}"
        );
    }

    #[test]
    fn schedule_is_increasing_bounded_and_at_rate() {
        let offsets: Vec<Duration> =
            PoissonSchedule::new(1000.0, Duration::from_secs(60), 3).collect();
        assert!(offsets.windows(2).all(|w| w[0] <= w[1]));
        assert!(offsets.last().unwrap() < &Duration::from_secs(60));
        let n = offsets.len() as f64;
        // Poisson count: mean 60,000, standard deviation ≈ 245.
        assert!((n - 60_000.0).abs() < 1_500.0, "{n} arrivals");
        // Per-second counts are Poisson too: variance ≈ mean (index of dispersion ≈ 1).
        let mut per_second = [0f64; 60];
        for o in &offsets {
            per_second[o.as_secs() as usize] += 1.0;
        }
        let mean = per_second.iter().sum::<f64>() / 60.0;
        let var = per_second.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / 59.0;
        assert!(
            (0.5..1.6).contains(&(var / mean)),
            "dispersion {}",
            var / mean
        );
    }

    #[test]
    fn a_seed_reproduces_the_schedule() {
        let a: Vec<_> = PoissonSchedule::new(100.0, Duration::from_secs(1), 9).collect();
        let b: Vec<_> = PoissonSchedule::new(100.0, Duration::from_secs(1), 9).collect();
        assert_eq!(a, b);
    }
}
