//! `report()`: what `tcbench aimrepo report` computes, in-process and writing no file. Per
//! campaign, the summary as the exact CSV text the command line writes (the Python side
//! parses it, so its numbers are the files' numbers) and the runsinfo table as Arrow IPC
//! stream bytes (read with pyarrow).

use std::path::PathBuf;

use arrow_array::RecordBatch;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use tcbench::output::files;
use tcbench::report::{read_values, summarize_campaigns, Config, Options, ValueKind};
use tcbench::runs::{self, Diagnostic};

use crate::errors::{detached, invalid, invalid_argument, repo_paths, to_py_err, warn_all};

/// One campaign's report, as computed off the GIL.
struct CampaignReport {
    /// The campaign id as the command line prints it.
    id: String,
    /// Its folder under `campaign_summary/` (distinct between campaigns, unlike `id`).
    folder: String,
    /// `summary.csv` of the whole campaign.
    summary_csv: String,
    /// How many leading columns of the CSV are group keys (`test_split_name` and group-by).
    index_columns: usize,
    /// The runsinfo table, an Arrow IPC stream.
    runsinfo: Vec<u8>,
}

/// One campaign as returned to Python: `(id, folder, summary CSV text, index columns,
/// runsinfo IPC stream)`.
type Returned<'py> = (String, String, String, usize, Bound<'py, PyBytes>);

fn value_kind(py: Python<'_>, value: &str) -> PyResult<ValueKind> {
    match value {
        "last" => Ok(ValueKind::Last),
        "max" => Ok(ValueKind::Max),
        "min" => Ok(ValueKind::Min),
        other => Err(invalid_argument(
            py,
            format!("value: `{other}` is not one of `last`, `max`, `min`"),
        )),
    }
}

/// `tcbench aimrepo report` without files: see `tcbench_rs.report`, which wraps this.
#[pyfunction]
#[pyo3(signature = (repo, *, campaign_id=None, metrics=None, contexts=None, groupby=None, value="last", filter=None, archived=false))]
#[allow(clippy::too_many_arguments)]
pub fn report<'py>(
    py: Python<'py>,
    repo: &Bound<'py, PyAny>,
    campaign_id: Option<String>,
    metrics: Option<Vec<String>>,
    contexts: Option<Vec<String>>,
    groupby: Option<Vec<String>>,
    value: &str,
    filter: Option<String>,
    archived: bool,
) -> PyResult<Vec<Returned<'py>>> {
    let paths = repo_paths(repo)?;
    let opts = Options {
        // the command line's default `--metrics acc`
        metrics: metrics.unwrap_or_else(|| vec!["acc".to_owned()]),
        contexts,
        groupby,
        campaign_id,
        value: value_kind(py, value)?,
    };
    let (said, result) = detached(py, move || {
        let mut said = Vec::new();
        let result = compute(&paths, filter.as_deref(), archived, &opts, &mut said);
        (said, result)
    })?;
    warn_all(py, &said)?;
    let campaigns = result.map_err(|e| to_py_err(py, e))?;
    Ok(campaigns
        .into_iter()
        .map(|c| {
            let bytes = PyBytes::new(py, &c.runsinfo);
            (c.id, c.folder, c.summary_csv, c.index_columns, bytes)
        })
        .collect())
}

/// The command line's steps (`src/commands/aimrepo/report.rs`), the files' contents kept in
/// memory instead of written.
fn compute(
    paths: &[PathBuf],
    filter: Option<&str>,
    archived: bool,
    opts: &Options,
    said: &mut Vec<Diagnostic>,
) -> anyhow::Result<Vec<CampaignReport>> {
    let ropts = runs::Options {
        paths,
        filter,
        archived,
    };
    let mut loaded = runs::load(&ropts, said)?;
    if loaded.runs.is_empty() {
        return Ok(Vec::new());
    }
    let config = Config::resolve(opts, &loaded.runs).map_err(invalid)?;
    runs::sort_newest_first(&mut loaded.runs);
    let (rows, problems) = read_values(&loaded, &config.metrics, &config.contexts, config.value);
    said.extend(problems);
    let campaigns = summarize_campaigns(&rows, &config, said).map_err(invalid)?;
    campaigns
        .iter()
        .map(|s| {
            let c = &s.campaign;
            let table = files::runsinfo(&s.members, &config.metrics, &config.contexts)?;
            Ok(CampaignReport {
                id: c.id_text(),
                folder: c.file_name.clone(),
                summary_csv: files::summary_csv(c, &config.metrics)?,
                index_columns: 1 + c.groupby.len(),
                runsinfo: ipc_stream(&table)?,
            })
        })
        .collect()
}

/// `batch` as an Arrow IPC stream.
fn ipc_stream(batch: &RecordBatch) -> anyhow::Result<Vec<u8>> {
    let mut w = arrow_ipc::writer::StreamWriter::try_new(Vec::new(), &batch.schema())?;
    w.write(batch)?;
    w.finish()?;
    Ok(w.into_inner()?)
}
