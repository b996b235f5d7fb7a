//! `tcbench aimrepo report`: per campaign, test split and hyper-parameter group, the runs
//! count and the mean / std / 95% confidence interval of each metric's final value and of the
//! run duration — printed as the original's grouped table and written as CSV and Parquet.
//!
//! The arguments, then the library's stages: [`tcbench::report`] computes,
//! [`tcbench::output`] writes the files and the plots and renders stdout.

use std::io::Write;
use std::path::PathBuf;

use tcbench::output::console::report as console;
use tcbench::output::{dest, files, plot};
use tcbench::report::{self, Campaign, Config, Summarized, ValueKind};
use tcbench::runs::sort_newest_first;

use crate::cli::{self, ReportArgs, ReportFormat};
use crate::commands::Status;
use crate::printer;

/// `--value` for the library.
fn value_kind(v: cli::ValueKind) -> ValueKind {
    match v {
        cli::ValueKind::Last => ValueKind::Last,
        cli::ValueKind::Max => ValueKind::Max,
        cli::ValueKind::Min => ValueKind::Min,
    }
}

/// Every destination checked before anything is read (a refusal prints and writes nothing):
/// the `campaign_summary/` folder, returned, and the plot's folder.
fn check_destinations(
    args: &ReportArgs,
    plot: Option<&plot::request::Request>,
) -> anyhow::Result<PathBuf> {
    let out_root = files::report_root(args.output_folder.as_deref(), &args.repo.aim_repo)?;
    let summary_root = out_root.join("campaign_summary");
    let what = if args.output_folder.is_some() {
        "--output-folder"
    } else {
        "the report folder"
    };
    let aim_dirs = dest::aim_dirs(&args.repo.aim_repo);
    dest::refuse_inside_aim(&summary_root, what, &aim_dirs)?;
    dest::check_folder(&summary_root, what)?;
    if let Some(p) = plot {
        p.check(&aim_dirs)?;
    }
    Ok(summary_root)
}

/// Runs the command.
pub fn run(args: &ReportArgs) -> anyhow::Result<Status> {
    let plot = args
        .plot
        .as_deref()
        .map(plot::request::Request::new)
        .transpose()?;
    let summary_root = check_destinations(args, plot.as_ref())?;
    let mut loaded = super::load(&args.repo)?;
    let mut status = loaded.status;
    if loaded.runs.is_empty() {
        printer::note("nothing to report: no runs");
        return Ok(status);
    }
    super::note_unfinished(&loaded.runs);
    let opts = report::Options {
        metrics: args.metrics.clone(),
        contexts: args.contexts.clone(),
        groupby: args.groupby.clone(),
        campaign_id: args.campaign_id.clone(),
        value: value_kind(args.value),
    };
    let config = Config::resolve(&opts, &loaded.runs)?;
    // runs in query_runs order (newest first), as the original's data frame
    sort_newest_first(&mut loaded.runs);
    let (rows, problems) =
        report::read_values(&loaded, &config.metrics, &config.contexts, config.value);
    if !problems.is_empty() {
        status = Status::Partial;
    }
    super::say(&problems);
    let mut said = Vec::new();
    let campaigns = report::summarize_campaigns(&rows, &config, &mut said);
    super::say(&said);
    let campaigns = campaigns?;
    write_outputs(args, &config, &summary_root, plot.as_ref(), &campaigns)?;
    Ok(status)
}

/// The files and plots (all planned and checked first), then stdout: a failed write leaves
/// stdout empty.
fn write_outputs(
    args: &ReportArgs,
    config: &Config,
    summary_root: &std::path::Path,
    plot: Option<&plot::request::Request>,
    campaigns: &[Summarized],
) -> anyhow::Result<()> {
    let aim_dirs = dest::aim_dirs(&args.repo.aim_repo);
    let plans = files::plan_report(summary_root, campaigns, &aim_dirs)?;
    let plot_targets: Vec<PathBuf> = match plot {
        Some(p) => {
            let several = campaigns.len() > 1;
            let targets = campaigns
                .iter()
                .map(|s| p.target(&s.campaign.file_name, several))
                .collect::<anyhow::Result<Vec<_>>>()?;
            for t in &targets {
                dest::check_file(t, "--plot")?;
            }
            targets
        }
        None => Vec::new(),
    };
    let (metrics, contexts) = (&config.metrics, &config.contexts);
    let saved = files::write_report(&plans, campaigns, metrics, contexts)?;
    let only: Vec<&Campaign> = campaigns.iter().map(|s| &s.campaign).collect();
    let plot_saved = match plot {
        Some(p) => p.write(&only, &plot_targets, metrics, contexts, config.value)?,
        None => Vec::new(),
    };
    let mut out = std::io::BufWriter::new(printer::stdout());
    if args.format == ReportFormat::Table {
        console::write_table(
            &mut out,
            &only,
            &saved,
            &plot_saved,
            metrics,
            args.precision,
        )?;
    } else {
        for path in saved.iter().flatten().chain(&plot_saved) {
            printer::note(format!("saving: {}", path.display()));
        }
    }
    match args.format {
        ReportFormat::Table => {}
        ReportFormat::Csv => console::write_flat_csv(&mut out, &only, metrics)?,
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &console::json(&only, metrics))?;
            writeln!(out)?;
        }
        ReportFormat::Markdown => {
            console::write_markdown(&mut out, &only, metrics, args.precision)?;
        }
    }
    out.flush()?;
    Ok(())
}
