//! `report`'s arguments resolved against the runs read: which metrics, contexts, group-by
//! columns and campaigns (every name checked, a one-line error listing what exists).

use std::collections::BTreeSet;

use aim_store::Run;
use anyhow::bail;

use super::model::{id_text, RunRow};
use crate::output::dest;
use crate::pyfmt::{list_repr, PyVal};
use crate::runs::metrics_and_contexts;

/// Hyper-parameters never used as default group keys (they vary within a group by design).
const NOT_GROUPS: [&str; 3] = [
    "hparams.campaign_exp_idx",
    "hparams.seed",
    "hparams.split_index",
];

/// Which value of each metric a run contributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// The value tracked at the highest step (the true final value).
    Last,
    /// The largest value tracked (best-over-training for accuracies).
    Max,
    /// The smallest value tracked (best-over-training for losses).
    Min,
}

/// `report`'s options as given: lists of names (trimmed, blanks and repeats left out by
/// [`name_list`]; group-by names short or full).
#[derive(Debug, Clone)]
pub struct Options {
    /// `--metrics`.
    pub metrics: Vec<String>,
    /// `--contexts` (default: every context starting with `test`).
    pub contexts: Option<Vec<String>>,
    /// `--groupby` (default: the hyper-parameters that vary within a campaign).
    pub groupby: Option<Vec<String>>,
    /// `--campaign-id` (default: every campaign).
    pub campaign_id: Option<String>,
    /// `--value`.
    pub value: ValueKind,
}

/// The options resolved against the runs: names that exist, each once.
#[derive(Debug, Clone)]
pub struct Config {
    /// The metrics, in the order given.
    pub metrics: Vec<String>,
    /// The contexts (splits), in the order given or sorted.
    pub contexts: Vec<String>,
    /// `--groupby` as given, resolved per campaign ([`resolve_groupby`]).
    pub groupby: Option<Vec<String>>,
    /// `--campaign-id` as given, resolved against the rows ([`select_campaigns`]).
    pub campaign_id: Option<String>,
    /// `--value`.
    pub value: ValueKind,
}

/// The names of a list, trimmed, each once, in the order first given; blanks left out.
pub fn name_list<S: AsRef<str>>(items: &[S]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for x in items
        .iter()
        .map(|x| x.as_ref().trim())
        .filter(|x| !x.is_empty())
    {
        if !out.iter().any(|o| o == x) {
            out.push(x.to_owned());
        }
    }
    out
}

fn strs(set: &BTreeSet<String>) -> String {
    list_repr(&set.iter().cloned().map(PyVal::Str).collect::<Vec<_>>())
}

impl Config {
    /// Checks the metrics and contexts against those of `runs`.
    pub fn resolve(opts: &Options, runs: &[Run]) -> anyhow::Result<Config> {
        let (all_metrics, all_contexts) = metrics_and_contexts(runs);
        let metrics = name_list(&opts.metrics);
        if metrics.is_empty() {
            bail!("--metrics is empty; available: {}", strs(&all_metrics));
        }
        for m in &metrics {
            if !all_metrics.contains(m) {
                bail!("unknown metric `{m}`; available: {}", strs(&all_metrics));
            }
        }
        let contexts: Vec<String> = match &opts.contexts {
            Some(list) => {
                let cs = name_list(list);
                if cs.is_empty() {
                    bail!("--contexts is empty; available: {}", strs(&all_contexts));
                }
                for c in &cs {
                    if !all_contexts.contains(c) {
                        bail!("unknown context `{c}`; available: {}", strs(&all_contexts));
                    }
                }
                cs
            }
            None => all_contexts
                .iter()
                .filter(|c| c.starts_with("test"))
                .cloned()
                .collect(),
        };
        if contexts.is_empty() {
            bail!(
                "no context to report: none starts with `test`; choose with --contexts from {}",
                strs(&all_contexts)
            );
        }
        Ok(Config {
            metrics,
            contexts,
            groupby: opts.groupby.clone(),
            campaign_id: opts.campaign_id.clone(),
            value: opts.value,
        })
    }
}

/// Distinct values, sorted.
pub(crate) fn distinct(values: impl Iterator<Item = PyVal>) -> Vec<PyVal> {
    let mut out: Vec<PyVal> = Vec::new();
    for v in values {
        if !out.iter().any(|x| x.same(&v)) {
            out.push(v);
        }
    }
    out.sort_by(|a, b| a.total_cmp(b));
    out
}

/// The campaigns reported, each with its file name: every campaign id of the rows (and
/// None for runs without one), or the one `--campaign-id` names. File names are chosen over
/// every campaign, whichever are reported: a campaign's folder does not depend on
/// `--campaign-id`.
pub fn select_campaigns(
    rows: &[RunRow],
    campaign_id: Option<&str>,
) -> anyhow::Result<Vec<(Option<PyVal>, String)>> {
    let ids = distinct(
        rows.iter()
            .filter_map(|r| r.column("hparams.campaign_id").cloned()),
    );
    let mut selected: Vec<Option<PyVal>> = ids.iter().cloned().map(Some).collect();
    if rows
        .iter()
        .any(|r| r.column("hparams.campaign_id").is_none())
    {
        selected.push(None);
    }
    let texts: Vec<String> = selected.iter().map(|id| id_text(id.as_ref())).collect();
    let file_names = dest::unique_file_names(&texts);
    let selected: Vec<(Option<PyVal>, String)> = selected.into_iter().zip(file_names).collect();
    let Some(want) = campaign_id else {
        return Ok(selected);
    };
    let found = selected
        .iter()
        .find(|(v, _)| v.as_ref().is_some_and(|v| v.str_form() == want));
    match found {
        Some(one) => Ok(vec![one.clone()]),
        None => bail!(
            "unknown campaign id `{want}`; known: {}",
            list_repr(
                &ids.iter()
                    .map(|v| PyVal::Str(v.str_form()))
                    .collect::<Vec<_>>()
            )
        ),
    }
}

/// The group-by columns of a campaign: those `--groupby` names (short or full), else the
/// hyper-parameters whose value varies between its runs (`campaign_id` when none does).
pub fn resolve_groupby(arg: Option<&[String]>, rows: &[&RunRow]) -> anyhow::Result<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    for r in rows {
        for (k, _) in &r.columns {
            if k.starts_with("hparams") && !names.contains(k) {
                names.push(k.clone());
            }
        }
    }
    names.sort();
    let Some(list) = arg else {
        let mut out: Vec<String> = names
            .iter()
            .filter(|n| !NOT_GROUPS.contains(&n.as_str()))
            .filter(|n| distinct(rows.iter().filter_map(|r| r.column(n).cloned())).len() > 1)
            .cloned()
            .collect();
        if out.is_empty() && names.iter().any(|n| n == "hparams.campaign_id") {
            out.push("hparams.campaign_id".into());
        }
        return Ok(out);
    };
    let mut out = Vec::new();
    for name in name_list(list) {
        if name == "split" || name == "test_split_name" {
            continue; // always the first key
        }
        let full = if names.contains(&name) {
            name.clone()
        } else if names.contains(&format!("hparams.{name}")) {
            format!("hparams.{name}")
        } else {
            let avail: Vec<PyVal> = names
                .iter()
                .map(|n| PyVal::Str(n.trim_start_matches("hparams.").to_owned()))
                .collect();
            bail!(
                "unknown --groupby name `{name}`; available: {}",
                list_repr(&avail)
            );
        };
        if !out.contains(&full) {
            out.push(full);
        }
    }
    Ok(out)
}
