//! `properties`' computation: run count, run duration, metrics, contexts, and every
//! hyper-parameter with its distinct values.

use std::collections::BTreeMap;

use aim_store::Run;

use crate::frame::param_columns;
use crate::pyfmt::PyVal;
use crate::report::stats::mean_std;
use crate::runs::metrics_and_contexts;

/// What `properties` computes.
#[derive(Debug, Clone, PartialEq)]
pub struct Properties {
    /// Number of runs.
    pub runs: usize,
    /// Number of finished runs whose duration is known.
    pub finished: usize,
    /// Mean run duration in seconds (finished runs).
    pub duration_mean: f64,
    /// Sample standard deviation of the run duration in seconds.
    pub duration_std: f64,
    /// Metric names (Aim's `__system*` left out), sorted.
    pub metrics: Vec<String>,
    /// Context `subset` values, sorted.
    pub contexts: Vec<String>,
    /// `experiment` then every `hparams.*` column, each with its sorted distinct values.
    pub params: Vec<(String, Vec<PyVal>)>,
}

fn push_unique(values: &mut Vec<PyVal>, v: PyVal) {
    if !values.iter().any(|x| x.same(&v)) {
        values.push(v);
    }
}

/// Computes the properties of a set of runs.
pub fn compute(runs: &[Run]) -> Properties {
    let durations: Vec<f64> = runs.iter().filter_map(Run::duration).collect();
    let (duration_mean, duration_std) = mean_std(&durations);
    let (metrics, contexts) = metrics_and_contexts(runs);
    let mut columns: BTreeMap<String, Vec<PyVal>> = BTreeMap::new();
    let mut experiments = Vec::new();
    for run in runs {
        push_unique(
            &mut experiments,
            run.props
                .experiment
                .clone()
                .map(PyVal::Str)
                .unwrap_or(PyVal::None),
        );
        for (name, value) in param_columns(run) {
            if name.starts_with("hparam") {
                push_unique(columns.entry(name).or_default(), value);
            }
        }
    }
    let mut params = vec![("experiment".to_owned(), experiments)];
    params.extend(columns);
    for (_, values) in params.iter_mut() {
        values.sort_by(|a, b| a.total_cmp(b));
    }
    Properties {
        runs: runs.len(),
        finished: durations.len(),
        duration_mean,
        duration_std,
        metrics: metrics.into_iter().collect(),
        contexts: contexts.into_iter().collect(),
        params,
    }
}
