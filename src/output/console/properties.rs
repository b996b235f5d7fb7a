//! `properties` on stdout: the original's table, and the JSON form.

use crate::output::console::richtable::{Border, Justify, Table};
use crate::properties::Properties;
use crate::pyfmt::{list_repr, PyVal};

const PLUSMINUS: &str = "\u{b1}";

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
            .unwrap_or_else(|| serde_json::Value::String(crate::pyfmt::float_repr(*f))),
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
}
