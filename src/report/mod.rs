//! `report`'s computation: per campaign, test split and hyper-parameter group, the runs count
//! and the statistics of each metric's value and of the run duration.
//!
//! The stages, each a call: [`Config::resolve`] (the arguments against the runs),
//! [`read_values`] (each run's metric values), [`summarize_campaigns`] (the groups and their
//! statistics). Renderers are in [`crate::output`].

pub mod config;
pub mod model;
pub mod stats;
pub mod values;

use std::collections::BTreeSet;

pub use config::{Config, Options, ValueKind};
pub use model::{Campaign, Group, RunRow, Summarized};
pub use values::read_values;

use crate::pyfmt::PyVal;
use crate::runs::Diagnostic;
use stats::stats;

/// The reported campaigns ([`config::select_campaigns`]) of `rows`, each summarized: its
/// group-by columns resolved, its groups' statistics computed. A metric missing from some
/// runs is a warning (those runs are left out of its statistics).
pub fn summarize_campaigns<'r, 'a>(
    rows: &'r [RunRow<'a>],
    config: &Config,
    said: &mut Vec<Diagnostic>,
) -> anyhow::Result<Vec<Summarized<'r, 'a>>> {
    let selected = config::select_campaigns(rows, config.campaign_id.as_deref())?;
    let mut campaigns = Vec::new();
    for (id, file_name) in selected {
        let members: Vec<&RunRow> = rows
            .iter()
            .filter(|r| match (&id, r.column("hparams.campaign_id")) {
                (Some(a), Some(b)) => a.same(b),
                (None, None) => true,
                _ => false,
            })
            .collect();
        if members.is_empty() {
            continue;
        }
        let groupby = config::resolve_groupby(config.groupby.as_deref(), &members)?;
        // missing metrics: say so, leave them out of the statistics
        for (ci, ctx) in config.contexts.iter().enumerate() {
            for (mi, m) in config.metrics.iter().enumerate() {
                let missing = members
                    .iter()
                    .filter(|r| r.values[ci][mi].is_none())
                    .count();
                if missing > 0 {
                    said.push(Diagnostic::Warning(format!(
                        "{missing} of {} runs have no `{m}` in context `{ctx}`; left out of its statistics",
                        members.len()
                    )));
                }
            }
        }
        let groups = summarize(&members, &groupby, &config.contexts, config.metrics.len());
        campaigns.push(Summarized {
            campaign: Campaign {
                id,
                file_name,
                runs: members.len(),
                groupby,
                groups,
            },
            members,
        });
    }
    Ok(campaigns)
}

/// The groups of one campaign: by context, then by the group-by values; sorted.
pub fn summarize(
    rows: &[&RunRow],
    groupby: &[String],
    contexts: &[String],
    n_metrics: usize,
) -> Vec<Group> {
    type Key = (String, Vec<PyVal>);
    let mut groups: Vec<(Key, Vec<&RunRow>, usize)> = Vec::new();
    for (ci, ctx) in contexts.iter().enumerate() {
        for r in rows {
            let keys: Vec<PyVal> = groupby
                .iter()
                .map(|g| r.column(g).cloned().unwrap_or(PyVal::None))
                .collect();
            let pos = groups.iter().position(|((s, k), _, c)| {
                s == ctx && *c == ci && k.iter().zip(&keys).all(|(a, b)| a.same(b))
            });
            match pos {
                Some(i) => groups[i].1.push(r),
                None => groups.push(((ctx.clone(), keys), vec![r], ci)),
            }
        }
    }
    groups.sort_by(|((sa, ka), _, _), ((sb, kb), _, _)| {
        sa.cmp(sb).then_with(|| {
            ka.iter()
                .zip(kb)
                .map(|(a, b)| a.total_cmp(b))
                .find(|o| o.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        })
    });
    groups
        .into_iter()
        .map(|((split, keys), members, ci)| {
            let metrics = (0..n_metrics)
                .map(|m| {
                    let xs: Vec<f64> = members
                        .iter()
                        .map(|r| r.values[ci][m].unwrap_or(f64::NAN))
                        .collect();
                    stats(&xs)
                })
                .collect();
            let durations: Vec<f64> = members
                .iter()
                .map(|r| r.run.duration().unwrap_or(f64::NAN))
                .collect();
            let runs: BTreeSet<&str> = members.iter().map(|r| r.run.hash()).collect();
            Group {
                split,
                keys,
                runs: runs.len(),
                metrics,
                duration: stats(&durations),
            }
        })
        .collect()
}
