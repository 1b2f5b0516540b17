//! How sure a rate or a difference is: Wilson intervals for pass rates, a seeded paired bootstrap
//! for the difference between two models on the same examples, and the exact two-sided sign test.
//!
//! Takes counts or paired values; gives 95% intervals and p-values. Held-out splits are small (tens
//! to hundreds of examples), which is why a rate is never shown without its interval.

use serde::Serialize;

use crate::rng::Rng;

/// The normal quantile of a two-sided 95% interval.
const Z: f64 = 1.959_963_984_540_054;
/// Resamples of the paired bootstrap.
pub const BOOTSTRAP_RESAMPLES: usize = 10_000;
/// The bootstrap's seed: the same inputs give the same interval.
pub const BOOTSTRAP_SEED: u64 = 20_261_126;

/// A rate (or mean) with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// The estimate.
    pub value: f64,
    /// The low end of its 95% interval.
    pub low: f64,
    /// The high end of its 95% interval.
    pub high: f64,
    /// The examples it is over.
    pub n: usize,
}

/// The mean of no values: 0, with an empty interval.
const NO_VALUES: Estimate = Estimate {
    value: 0.0,
    low: 0.0,
    high: 0.0,
    n: 0,
};

/// `passed` of `n` with the Wilson score interval (0..1; `n = 0` gives 0 with the interval 0..1).
pub fn wilson(passed: usize, n: usize) -> Estimate {
    if n == 0 {
        return Estimate {
            value: 0.0,
            low: 0.0,
            high: 1.0,
            n,
        };
    }
    let nf = n as f64;
    let p = passed as f64 / nf;
    let z2 = Z * Z;
    let denominator = 1.0 + z2 / nf;
    let center = (p + z2 / (2.0 * nf)) / denominator;
    let half = Z / denominator * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
    Estimate {
        value: p,
        low: (center - half).max(0.0),
        high: (center + half).min(1.0),
        n,
    }
}

/// The mean of `values` with a seeded percentile-bootstrap 95% interval.
pub fn bootstrap_mean(values: &[f64]) -> Estimate {
    let n = values.len();
    if n == 0 {
        return NO_VALUES;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let mut rng = Rng::new(BOOTSTRAP_SEED);
    let mut means: Vec<f64> = (0..BOOTSTRAP_RESAMPLES)
        .map(|_| {
            let sum: f64 = (0..n).map(|_| values[rng.below(n as u64) as usize]).sum();
            sum / n as f64
        })
        .collect();
    means.sort_by(f64::total_cmp);
    let at =
        |q: f64| means[((q * BOOTSTRAP_RESAMPLES as f64) as usize).min(BOOTSTRAP_RESAMPLES - 1)];
    Estimate {
        value: mean,
        low: at(0.025),
        high: at(0.975),
        n,
    }
}

/// The mean with Student's t interval (95%, n − 1 degrees of freedom): what a small group (a
/// template's few held-out examples) supports. One value has no interval: its bounds are NaN
/// (`null` in JSON), never a zero-width interval that would look certain.
pub fn t_mean(values: &[f64]) -> Estimate {
    let n = values.len();
    if n == 0 {
        return NO_VALUES;
    }
    let nf = n as f64;
    let mean = values.iter().sum::<f64>() / nf;
    if n == 1 {
        return Estimate {
            value: mean,
            low: f64::NAN,
            high: f64::NAN,
            n,
        };
    }
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (nf - 1.0);
    let half = t_975(n - 1) * (variance / nf).sqrt();
    Estimate {
        value: mean,
        low: mean - half,
        high: mean + half,
        n,
    }
}

/// Student's t 97.5% quantile for `df` degrees of freedom: scipy's values to 8 decimals up to 30,
/// then the Cornish-Fisher expansion around the normal quantile (within 1e-6 of scipy from 31 on).
fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.70620474,
        4.30265273,
        3.18244631,
        2.77644511,
        2.57058184,
        2.44691185,
        2.36462425,
        2.30600414,
        2.26215716,
        2.22813885,
        2.20098516,
        2.17881283,
        2.16036866,
        2.14478669,
        2.13144955,
        2.1199053,
        2.10981558,
        2.10092204,
        2.09302405,
        2.08596345,
        2.07961384,
        2.07387307,
        2.06865761,
        2.06389856,
        2.05953855,
        2.05552944,
        2.05183052,
        2.04840714,
        2.04522964,
        2.04227246,
    ];
    if (1..=30).contains(&df) {
        return TABLE[df - 1];
    }
    let (z, v) = (Z, df.max(1) as f64);
    z + (z.powi(3) + z) / (4.0 * v)
        + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * v * v)
        + (3.0 * z.powi(7) + 19.0 * z.powi(5) + 17.0 * z.powi(3) - 15.0 * z) / (384.0 * v.powi(3))
        + (79.0 * z.powi(9) + 776.0 * z.powi(7) + 1482.0 * z.powi(5)
            - 1920.0 * z.powi(3)
            - 945.0 * z)
            / (92160.0 * v.powi(4))
}

/// The exact two-sided sign test: `better` and `worse` pairs (ties left out); the probability of a
/// split at least this uneven if neither model were better.
pub fn sign_test(better: usize, worse: usize) -> f64 {
    let n = better + worse;
    if n == 0 {
        return 1.0;
    }
    let k = better.min(worse);
    // P(X <= k) for X ~ Binomial(n, 1/2), summed in log space so large n does not underflow.
    let ln_half_n = n as f64 * 0.5f64.ln();
    let mut ln_choose = 0.0;
    let mut tail = 0.0;
    for i in 0..=k {
        if i > 0 {
            ln_choose += ((n - i + 1) as f64).ln() - (i as f64).ln();
        }
        tail += (ln_choose + ln_half_n).exp();
    }
    (2.0 * tail).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_published_values() {
        // 8 of 10: 0.490 to 0.943 (Wilson 1927; e.g. statsmodels proportion_confint(8, 10, method="wilson")).
        let e = wilson(8, 10);
        assert!((e.low - 0.490_162).abs() < 1e-5, "{e:?}");
        assert!((e.high - 0.943_318).abs() < 1e-5, "{e:?}");
        let all = wilson(10, 10);
        assert!((all.high - 1.0).abs() < 1e-12, "{all:?}");
        assert!((all.low - 0.722_467).abs() < 1e-5, "{all:?}");
        assert_eq!(wilson(0, 0).high, 1.0);
    }

    #[test]
    fn small_groups_get_students_t_and_a_group_of_one_no_interval() {
        // scipy.stats.t.ppf(0.975, df) beyond the table.
        for (df, scipy) in [
            (31, 2.039_513_45),
            (40, 2.021_075_39),
            (100, 1.983_971_52),
            (1000, 1.962_339_08),
        ] {
            assert!((t_975(df) - scipy).abs() < 1e-6, "df {df}: {}", t_975(df));
        }
        assert_eq!(t_975(2), 4.302_652_73);
        // Mean 2, sd 1, n 3: 2 ± 4.30265273 / √3.
        let e = t_mean(&[1.0, 2.0, 3.0]);
        let half = 4.302_652_73 / 3f64.sqrt();
        assert!((e.low - (2.0 - half)).abs() < 1e-12 && (e.high - (2.0 + half)).abs() < 1e-12);
        let one = t_mean(&[0.7]);
        assert_eq!(one.value, 0.7);
        assert!(one.low.is_nan() && one.high.is_nan());
        assert_eq!(
            serde_json::to_value(one).unwrap()["low"],
            serde_json::Value::Null
        );
    }

    #[test]
    fn the_sign_test_is_exact() {
        // 9 of 10 pairs better: 2 * (1 + 10) / 1024.
        assert!((sign_test(9, 1) - 22.0 / 1024.0).abs() < 1e-12);
        assert_eq!(sign_test(5, 5), 1.0);
        assert_eq!(sign_test(0, 0), 1.0);
        assert!(sign_test(600, 400) < 1e-9);
    }

    #[test]
    fn the_bootstrap_is_seeded_and_brackets_the_mean() {
        let values: Vec<f64> = (0..50).map(|i| f64::from(i % 3) - 0.5).collect();
        let a = bootstrap_mean(&values);
        assert_eq!(a, bootstrap_mean(&values));
        assert!(a.low < a.value && a.value < a.high, "{a:?}");
        let constant = bootstrap_mean(&[0.25; 20]);
        assert_eq!((constant.low, constant.high), (0.25, 0.25));
    }
}
