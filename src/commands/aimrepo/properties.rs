//! `tcbench aimrepo properties`: run count, run duration, metrics, contexts, and every
//! hyper-parameter with its distinct values.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use aim_store::Run;

use crate::cli::{PropertiesArgs, PropertiesFormat};
use crate::commands::Status;
use crate::printer;
use tcbench::frame::param_columns;
use tcbench::output::console::richtable::{Border, Justify, Table};
use tcbench::pyfmt::{list_repr, PyVal};

const PLUSMINUS: &str = "\u{b1}";

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

/// Mean and sample standard deviation (ddof = 1), NaN where undefined, as pandas.
pub fn mean_std(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    if xs.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mean = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return (mean, f64::NAN);
    }
    let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

fn push_unique(values: &mut Vec<PyVal>, v: PyVal) {
    if !values.iter().any(|x| x.same(&v)) {
        values.push(v);
    }
}

/// The metric names (Aim's `__system*` left out) and the context `subset` values of a set of
/// runs, as the original's `get_metric_names` / `get_context_names`.
pub fn metrics_and_contexts(runs: &[Run]) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut metrics = BTreeSet::new();
    let mut contexts = BTreeSet::new();
    for run in runs {
        for t in run
            .meta
            .traces
            .iter()
            .filter(|t| t.is_metric() && !t.is_system())
        {
            metrics.insert(t.name.clone());
            if let Some(s) = t.subset() {
                contexts.insert(s.to_owned());
            }
        }
    }
    (metrics, contexts)
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

/// `pd.Timedelta(seconds, unit='s')` formatted as the original: `{d}d {h}h{m}m{s}s`, days and
/// hours only when non-zero; `nan` when undefined.
pub fn format_duration(seconds: f64) -> String {
    if !seconds.is_finite() {
        return "nan".into();
    }
    let ns = (seconds * 1e9).round() as i128;
    let day = 86_400_000_000_000i128;
    let days = ns.div_euclid(day);
    let rest = ns.rem_euclid(day);
    let hours = rest / 3_600_000_000_000;
    let minutes = rest % 3_600_000_000_000 / 60_000_000_000;
    let secs = rest % 60_000_000_000 / 1_000_000_000;
    let mut text = String::new();
    if days > 0 {
        text.push_str(&format!("{days}d "));
    }
    if hours > 0 {
        text.push_str(&format!("{hours}h"));
    }
    text.push_str(&format!("{minutes}m{secs}s"));
    text
}

fn strs_repr(items: &[String]) -> String {
    list_repr(&items.iter().cloned().map(PyVal::Str).collect::<Vec<_>>())
}

/// The original's table.
pub fn table(p: &Properties) -> Table {
    let mut t = Table::new(
        Border::Rounded,
        &[
            ("Name", Justify::Left),
            ("No. unique", Justify::Right),
            ("Value", Justify::Left),
        ],
    );
    t.row(vec!["runs".into(), "-".into(), p.runs.to_string()]);
    t.row(vec![
        format!("run duration (mean {PLUSMINUS} std)"),
        "-".into(),
        format!(
            "{} {PLUSMINUS} {}",
            format_duration(p.duration_mean),
            format_duration(p.duration_std)
        ),
    ]);
    t.row(vec![
        "metrics".into(),
        p.metrics.len().to_string(),
        strs_repr(&p.metrics),
    ]);
    t.row(vec![
        "contexts".into(),
        p.contexts.len().to_string(),
        strs_repr(&p.contexts),
    ]);
    t.section();
    for (name, values) in &p.params {
        t.row(vec![
            name.strip_prefix("hparams.").unwrap_or(name).to_owned(),
            values.len().to_string(),
            list_repr(values),
        ]);
    }
    t
}

fn json_value(v: &PyVal) -> serde_json::Value {
    match v {
        PyVal::None => serde_json::Value::Null,
        PyVal::Bool(b) => (*b).into(),
        PyVal::Int(i) => (*i).into(),
        PyVal::Float(f) => serde_json::Number::from_f64(*f)
            .map(serde_json::Value::Number)
            .unwrap_or_else(|| serde_json::Value::String(tcbench::pyfmt::float_repr(*f))),
        PyVal::Str(s) => s.clone().into(),
    }
}

fn num(x: f64) -> serde_json::Value {
    serde_json::Number::from_f64(x)
        .map(serde_json::Value::Number)
        .unwrap_or(serde_json::Value::Null)
}

/// The JSON form.
pub fn json(p: &Properties) -> serde_json::Value {
    let params: serde_json::Map<String, serde_json::Value> = p
        .params
        .iter()
        .map(|(k, vs)| {
            (
                k.strip_prefix("hparams.").unwrap_or(k).to_owned(),
                vs.iter().map(json_value).collect(),
            )
        })
        .collect();
    serde_json::json!({
        "runs": p.runs,
        "run_duration": {
            "finished_runs": p.finished,
            "mean_seconds": num(p.duration_mean),
            "std_seconds": num(p.duration_std),
        },
        "metrics": p.metrics,
        "contexts": p.contexts,
        "params": params,
    })
}

/// Runs the command.
pub fn run(args: &PropertiesArgs) -> anyhow::Result<Status> {
    let loaded = super::load(&args.repo)?;
    let unfinished = loaded.runs.iter().filter(|r| r.active()).count();
    if unfinished > 0 {
        printer::note(format!(
            "{unfinished} unfinished run{} (no end time) left out of the run duration",
            if unfinished == 1 { "" } else { "s" }
        ));
    }
    let props = compute(&loaded.runs);
    let mut out = std::io::BufWriter::new(printer::stdout());
    match args.format {
        PropertiesFormat::Table => {
            out.write_all(table(&props).render(printer::console_width()).as_bytes())?
        }
        PropertiesFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &json(&props))?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(loaded.status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_format_like_the_original() {
        assert_eq!(format_duration(546.4), "9m6s");
        assert_eq!(format_duration(1263.0), "21m3s");
        assert_eq!(format_duration(0.4), "0m0s");
        assert_eq!(format_duration(3600.0 * 26.0 + 61.0), "1d 2h1m1s");
        assert_eq!(format_duration(f64::NAN), "nan");
    }

    #[test]
    fn sample_std_like_pandas() {
        let (m, s) = mean_std(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m, 2.5);
        assert!((s - 1.2909944487358056).abs() < 1e-15);
        assert!(mean_std(&[1.0]).1.is_nan());
    }
}
