//! The statistics of `report` and `properties`, in one place: pure functions, no I/O.
//!
//! The statistics are pandas' and statsmodels': `count`, `mean`, sample `std` (ddof = 1) and
//! `ci95` = t(0.975, n−1)·std/√n, the half-width of `DescrStatsW(x).tconfint_mean()`
//! (NaN for n < 2). Values that are missing (a run without the metric) are left out.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Summary statistics of one column of one group.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stats {
    /// Number of values present.
    pub count: usize,
    /// Mean (NaN when no value).
    pub mean: f64,
    /// Sample standard deviation (NaN when fewer than two values).
    pub std: f64,
    /// Half-width of the 95% Student-t confidence interval of the mean.
    pub ci95: f64,
}

/// The Student t quantile t(p, df).
pub fn t_quantile(p: f64, df: f64) -> f64 {
    match StudentsT::new(0.0, 1.0, df) {
        Ok(t) => {
            // statrs' inverse is a numeric search; polish it with Newton steps on the exact CDF
            let mut x = t.inverse_cdf(p);
            for _ in 0..4 {
                let f = t.cdf(x) - p;
                let d = statrs::distribution::Continuous::pdf(&t, x);
                if d <= 0.0 || !f.is_finite() {
                    break;
                }
                let step = f / d;
                x -= step;
                if step.abs() < 1e-15 * x.abs().max(1.0) {
                    break;
                }
            }
            x
        }
        Err(_) => f64::NAN,
    }
}

/// The mean as a plain left-to-right sum over the count (numpy's for fewer than 8 values).
fn plain_mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

/// The sum of squared deviations from `mean`, left to right.
fn squared_deviations(xs: &[f64], mean: f64) -> f64 {
    xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>()
}

/// Mean and sample standard deviation (ddof = 1) of a whole column, NaN where undefined, as
/// pandas' `Series.mean()` / `.std()` (a plain sum and two passes; a group's mean and std in
/// [`stats`] are pandas' groupby ones: Kahan-compensated, Welford).
pub fn mean_std(xs: &[f64]) -> (f64, f64) {
    if xs.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mean = plain_mean(xs);
    if xs.len() < 2 {
        return (mean, f64::NAN);
    }
    let var = squared_deviations(xs, mean) / (xs.len() as f64 - 1.0);
    (mean, var.sqrt())
}

/// Statistics over the values present (NaN values count as missing).
pub fn stats(values: &[f64]) -> Stats {
    let xs: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    let n = xs.len();
    if n == 0 {
        return Stats {
            count: 0,
            mean: f64::NAN,
            std: f64::NAN,
            ci95: f64::NAN,
        };
    }
    let nf = n as f64;
    // pandas' groupby mean: Kahan-compensated sum
    let (mut sum, mut comp) = (0.0f64, 0.0f64);
    for &x in &xs {
        let y = x - comp;
        let t = sum + y;
        comp = (t - sum) - y;
        sum = t;
    }
    let mean = sum / nf;
    if n < 2 {
        return Stats {
            count: n,
            mean,
            std: f64::NAN,
            ci95: f64::NAN,
        };
    }
    // pandas' groupby var: Welford's online algorithm, ddof = 1
    let (mut m, mut ssqdm) = (0.0f64, 0.0f64);
    for (i, &x) in xs.iter().enumerate() {
        let old = m;
        m += (x - old) / (i as f64 + 1.0);
        ssqdm += (x - m) * (x - old);
    }
    let std = (ssqdm / (nf - 1.0)).sqrt();
    // statsmodels' DescrStatsW: population std over sqrt(n - 1)
    let dm = plain_mean(&xs);
    let pop = (squared_deviations(&xs, dm) / nf).sqrt();
    let ci95 = t_quantile(0.975, nf - 1.0) * pop / (nf - 1.0).sqrt();
    Stats {
        count: n,
        mean,
        std,
        ci95,
    }
}

/// numpy's `round(x, decimals)` as pandas' `DataFrame.round` applies it:
/// `rint(x * 10**d) / 10**d` (ties to even).
pub fn np_round(x: f64, decimals: i32) -> f64 {
    if !x.is_finite() {
        return x;
    }
    if decimals >= 0 {
        let f = 10f64.powi(decimals);
        (x * f).round_ties_even() / f
    } else {
        let f = 10f64.powi(-decimals);
        (x / f).round_ties_even() * f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_scipy() {
        // scipy.stats.t.ppf(0.975, df)
        let cases = [
            (1.0, 12.706204736174694),
            (2.0, 4.302652729749462),
            (5.0, 2.5705818356363146),
            (14.0, 2.144786687917804),
            (104.0, 1.9830375264837259),
        ];
        for (df, want) in cases {
            let got = t_quantile(0.975, df);
            assert!((got - want).abs() < 1e-9, "df={df}: {got} vs {want}");
        }
    }

    #[test]
    fn stats_leave_missing_values_out() {
        let s = stats(&[1.0, f64::NAN, 3.0]);
        assert_eq!(s.count, 2);
        assert_eq!(s.mean, 2.0);
        assert!((s.std - 2f64.sqrt()).abs() < 1e-15);
        let one = stats(&[5.0]);
        assert_eq!(one.mean, 5.0);
        assert!(one.std.is_nan() && one.ci95.is_nan());
    }

    #[test]
    fn sample_std_like_pandas() {
        let (m, s) = mean_std(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m, 2.5);
        assert!((s - 1.2909944487358056).abs() < 1e-15);
        assert!(mean_std(&[1.0]).1.is_nan());
        assert!(mean_std(&[]).0.is_nan());
    }

    #[test]
    fn rounds_like_numpy() {
        assert_eq!(np_round(97.50000001, 2), 97.5);
        // numpy 1.26 (the original's): 2.675 -> 2.68, 1.005 -> 1.0, 0.285 -> 0.28
        assert_eq!(np_round(2.675, 2), 2.68);
        assert_eq!(np_round(1.005, 2), 1.0);
        assert_eq!(np_round(0.285, 2), 0.28);
        assert_eq!(np_round(0.125, 2), 0.12); // ties to even
        assert_eq!(np_round(68.0, 0), 68.0);
        assert!(np_round(f64::NAN, 2).is_nan());
    }

    /// Checked against statsmodels itself: `DescrStatsW(x).tconfint_mean()` half-width, run
    /// in the Python environment that scripts/test.sh creates (required under CI).
    /// Without the interpreter it fails; `TCBENCH_SKIP_INTEROP=1` marks it ignored (build.rs).
    #[test]
    #[cfg_attr(
        tcbench_skip_interop,
        ignore = "TCBENCH_SKIP_INTEROP: needs Python with statsmodels (scripts/test.sh)"
    )]
    fn ci95_matches_statsmodels() {
        let py = std::env::var_os("TCBENCH_AIM_PYTHON").unwrap_or_else(|| {
            panic!(
                "TCBENCH_AIM_PYTHON is not set: this test needs Python with statsmodels; run \
                 scripts/test.sh, or set TCBENCH_SKIP_INTEROP=1 to count it as ignored"
            )
        });
        let samples: Vec<Vec<f64>> = vec![
            vec![70.76, 71.2, 68.9, 72.3, 69.1],
            vec![0.5, 0.25],
            vec![97.59036144578313, 96.3855421686747, 98.19277108433735],
            (0..15)
                .map(|i| 60.0 + f64::from(i * 7 % 11) * 1.37)
                .collect(),
            (0..105)
                .map(|i| 1000.0 + f64::from((i * 37) % 101).powf(1.5))
                .collect(),
        ];
        let script = "import json,sys\nfrom statsmodels.stats.api import DescrStatsW\nimport numpy as np\nout=[]\nfor x in json.load(sys.stdin):\n    a=np.array(x); lo,hi=DescrStatsW(a).tconfint_mean(0.05); out.append(hi-a.mean())\nprint(json.dumps(out))";
        let mut child = std::process::Command::new(py)
            .args(["-c", script])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(serde_json::to_string(&samples).unwrap().as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        let want: Vec<f64> = serde_json::from_slice(&out.stdout).unwrap();
        for (x, w) in samples.iter().zip(want) {
            let got = stats(x).ci95;
            assert!(
                (got - w).abs() < 1e-9,
                "n={}: {got} vs statsmodels {w}",
                x.len()
            );
        }
    }
}
