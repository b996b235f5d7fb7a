//! What `report` computes: one row per run with its metric values, and per campaign the
//! groups with their statistics.

use aim_store::Run;

use super::stats::Stats;
use crate::pyfmt::PyVal;

/// One run with what the report needs of it.
pub struct RunRow<'a> {
    /// The run.
    pub run: &'a Run,
    /// Its dataframe columns (params flattened, Aim's order).
    pub columns: Vec<(String, PyVal)>,
    /// Metric values: `values[context][metric]`, None when the run lacks the metric there.
    pub values: Vec<Vec<Option<f64>>>,
    /// The same values when they were tracked as integers (None otherwise): integer metrics
    /// stay integers in `runsinfo_*.parquet`, as in the original's file.
    pub ints: Vec<Vec<Option<i64>>>,
}

impl RunRow<'_> {
    /// A column value by full name (`hparams.x`).
    pub fn column(&self, name: &str) -> Option<&PyVal> {
        self.columns.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

/// One group of the summary.
#[derive(Debug, Clone)]
pub struct Group {
    /// The context (split).
    pub split: String,
    /// Group-by values.
    pub keys: Vec<PyVal>,
    /// Distinct runs.
    pub runs: usize,
    /// Statistics per metric, in `--metrics` order.
    pub metrics: Vec<Stats>,
    /// Statistics of the run duration.
    pub duration: Stats,
}

/// One campaign's summary.
pub struct Campaign {
    /// `hparams.campaign_id` (None for runs without one).
    pub id: Option<PyVal>,
    /// Its file name (folder under `campaign_summary/`, plot suffix): the id by the file-name
    /// rule, distinct from every other campaign's in the repository.
    pub file_name: String,
    /// Number of runs.
    pub runs: usize,
    /// Group-by names (full, `hparams.x`).
    pub groupby: Vec<String>,
    /// The groups, sorted by split then keys.
    pub groups: Vec<Group>,
}

impl Campaign {
    /// The campaign id as the original prints it (`None` for runs without one).
    pub fn id_text(&self) -> String {
        id_text(self.id.as_ref())
    }
}

/// A campaign id as the original prints it (`None` for runs without one).
pub fn id_text(id: Option<&PyVal>) -> String {
    id.map(PyVal::str_form).unwrap_or_else(|| "None".into())
}

/// A campaign's summary with the rows of its runs.
pub struct Summarized<'r, 'a> {
    /// The summary.
    pub campaign: Campaign,
    /// Its runs, in `query_runs` order.
    pub members: Vec<&'r RunRow<'a>>,
}
