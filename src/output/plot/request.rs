//! `report --plot FILE`: where the figure goes and in which format (from FILE's extension,
//! checked before anything is read, as is FILE's folder), one figure per campaign (`FILE`
//! itself for one campaign, `<stem>_<campaign file name>.<ext>` each when the report covers
//! several, by the file-name rule of `dest`), never inside a `.aim`, written whole or not at
//! all (temporary sibling + rename).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

use super::{font::Typeface, FigureData, GroupPoint};
use crate::output::dest;
use crate::output::files::write_atomic;
use crate::pyfmt::PyVal;
use crate::report::{Campaign, ValueKind};

/// The image formats, from the file name's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.svg`
    Svg,
    /// `.png`
    Png,
}

/// A validated `--plot` request.
pub struct Request {
    path: PathBuf,
    format: Format,
}

impl Request {
    /// Checks FILE's extension (case-insensitive) and that it names a file.
    pub fn new(path: &Path) -> anyhow::Result<Self> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        let format = match ext.as_deref() {
            Some("svg") => Format::Svg,
            Some("png") => Format::Png,
            Some(other) => bail!(
                "--plot `{}`: unknown image format `.{other}`; the file name must end in .svg or .png",
                path.display()
            ),
            None => bail!(
                "--plot `{}`: no image format; the file name must end in .svg or .png",
                path.display()
            ),
        };
        if path.is_dir() {
            bail!(
                "--plot `{}` is a folder; name a .svg or .png file",
                path.display()
            );
        }
        Ok(Request {
            path: dest::pathlib(path),
            format,
        })
    }

    /// Checks, before anything is read, that the figures can be written: FILE's folder
    /// exists, is writable and is not inside a `.aim` folder.
    pub fn check(&self, aim_dirs: &[PathBuf]) -> anyhow::Result<()> {
        let parent = self.path.parent().unwrap_or(Path::new(""));
        let what = format!("--plot `{}`:", self.path.display());
        dest::refuse_inside_aim(&self.path, "--plot", aim_dirs)?;
        match std::fs::metadata(dest::fs_path(parent)) {
            Ok(md) if md.is_dir() => {}
            Ok(_) => bail!("{what} `{}` is not a folder", parent.display()),
            Err(_) => bail!("{what} its folder `{}` does not exist", parent.display()),
        }
        dest::check_folder(parent, &format!("{what} its folder"))
    }

    /// The file of one campaign: FILE itself, or `<stem>_<name>.<ext>` when there are
    /// several (`name`: the campaign's file name, by the file-name rule).
    pub fn target(&self, name: &str, several: bool) -> anyhow::Result<PathBuf> {
        if !several {
            return Ok(self.path.clone());
        }
        let stem = self
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ext = self
            .path
            .extension()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let folder = self.path.parent().unwrap_or(Path::new(""));
        dest::join_inside(folder, &format!("{stem}_{name}.{ext}"))
    }

    /// Draws and writes one figure per campaign into the `targets` (from [`Self::target`]);
    /// returns the paths written.
    pub fn write(
        &self,
        campaigns: &[&Campaign],
        targets: &[PathBuf],
        metrics: &[String],
        contexts: &[String],
        value: ValueKind,
    ) -> anyhow::Result<Vec<PathBuf>> {
        let tf = Typeface::load()?;
        let mut saved = Vec::new();
        for (c, path) in campaigns.iter().zip(targets) {
            let id = c.id.as_ref().map(PyVal::str_form).unwrap_or("None".into());
            let scene = super::layout(&figure_data(c, &id, metrics, contexts, value), &tf);
            let bytes = match self.format {
                Format::Svg => super::svg::render(&scene).into_bytes(),
                Format::Png => super::raster::render_png(&scene, &tf),
            };
            write_atomic(path, |f| {
                use std::io::Write;
                f.write_all(&bytes)?;
                Ok(())
            })
            .with_context(|| format!("writing the plot `{}`", path.display()))?;
            saved.push(path.clone());
        }
        Ok(saved)
    }
}

fn figure_data(
    c: &Campaign,
    id: &str,
    metrics: &[String],
    contexts: &[String],
    value: ValueKind,
) -> FigureData {
    let value_note = match value {
        ValueKind::Last => "a run's final value",
        ValueKind::Max => "a run's maximum over training",
        ValueKind::Min => "a run's minimum over training",
    };
    FigureData {
        title: format!("campaign {id} ({} runs)", c.runs),
        value_note: value_note.to_owned(),
        metrics: metrics.to_vec(),
        contexts: contexts.to_vec(),
        groupby: c
            .groupby
            .iter()
            .map(|g| g.strip_prefix("hparams.").unwrap_or(g).to_owned())
            .collect(),
        groups: c
            .groups
            .iter()
            .map(|g| GroupPoint {
                context: g.split.clone(),
                keys: g.keys.iter().map(PyVal::str_form).collect(),
                runs: g.runs,
                values: g.metrics.iter().map(|s| (s.mean, s.ci95)).collect(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_comes_from_the_extension() {
        assert_eq!(
            Request::new(Path::new("a.svg")).unwrap().format,
            Format::Svg
        );
        assert_eq!(
            Request::new(Path::new("a.PNG")).unwrap().format,
            Format::Png
        );
        let e = Request::new(Path::new("a.jpg")).err().unwrap().to_string();
        assert!(e.contains(".jpg") && e.contains(".svg or .png"), "{e}");
        let e = Request::new(Path::new("figure")).err().unwrap().to_string();
        assert!(e.contains(".svg or .png"), "{e}");
    }

    #[test]
    fn several_campaigns_get_a_suffix() {
        let r = Request::new(Path::new("out/fig.png")).unwrap();
        assert_eq!(
            r.target("123", false).unwrap(),
            PathBuf::from("out/fig.png")
        );
        assert_eq!(
            r.target("123", true).unwrap(),
            PathBuf::from("out/fig_123.png")
        );
        let name = dest::safe_file_name("../.aim/meta");
        assert_eq!(
            r.target(&name, true).unwrap(),
            PathBuf::from("out/fig_.._.aim_meta.png")
        );
    }
}
