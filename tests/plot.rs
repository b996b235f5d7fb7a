#![allow(clippy::unwrap_used)]
//! `report --plot FILE`: the figure of a campaign's summary, on repositories written by real
//! Aim (examples/campaign, testdata/repos/campaign). The PNG is decoded (by hand here, and by
//! Pillow — a requirement of Aim itself — from the real-Aim venv when there) and checked for
//! size, resolution and ink; the SVG is parsed and its points and whiskers read back against
//! `report --format json`.

mod common;

use std::path::{Path, PathBuf};

use common::{fixture, root, stderr, stdout, tcbench, tree_state};
use serde_json::Value as J;

fn example() -> PathBuf {
    root().join("examples").join("campaign")
}

// ---------------------------------------------------------------- PNG, decoded by hand

struct Png {
    width: usize,
    height: usize,
    pixels_per_metre: Option<u32>,
    rgb: Vec<u8>,
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xedb8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Decodes an 8-bit RGB, non-interlaced PNG (what `--plot` writes), checking every CRC.
fn decode_png(bytes: &[u8]) -> Png {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    let mut pos = 8;
    let (mut width, mut height, mut ppm) = (0usize, 0usize, None);
    let mut idat = Vec::new();
    let mut seen_end = false;
    while pos < bytes.len() {
        let len = be32(&bytes[pos..]) as usize;
        let kind = &bytes[pos + 4..pos + 8];
        let data = &bytes[pos + 8..pos + 8 + len];
        let crc = be32(&bytes[pos + 8 + len..]);
        assert_eq!(
            crc,
            crc32(&bytes[pos + 4..pos + 8 + len]),
            "CRC of {kind:?}"
        );
        match kind {
            b"IHDR" => {
                width = be32(data) as usize;
                height = be32(&data[4..]) as usize;
                assert_eq!(&data[8..13], &[8, 2, 0, 0, 0], "8-bit RGB, no interlace");
            }
            b"pHYs" => {
                assert_eq!(be32(data), be32(&data[4..]), "square pixels");
                assert_eq!(data[8], 1, "unit: metre");
                ppm = Some(be32(data));
            }
            b"IDAT" => idat.extend_from_slice(data),
            b"IEND" => seen_end = true,
            _ => {}
        }
        pos += 12 + len;
    }
    assert!(seen_end && pos == bytes.len(), "IEND ends the file");
    let raw = miniz_oxide::inflate::decompress_to_vec_zlib(&idat).unwrap();
    let stride = width * 3;
    assert_eq!(raw.len(), height * (stride + 1), "IDAT size");
    let mut rgb = vec![0u8; height * stride];
    for y in 0..height {
        let filter = raw[y * (stride + 1)];
        let line = &raw[y * (stride + 1) + 1..(y + 1) * (stride + 1)];
        for i in 0..stride {
            let a = if i >= 3 { rgb[y * stride + i - 3] } else { 0 };
            let b = if y > 0 { rgb[(y - 1) * stride + i] } else { 0 };
            let c = if i >= 3 && y > 0 {
                rgb[(y - 1) * stride + i - 3]
            } else {
                0
            };
            let pred = match filter {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                4 => {
                    let p = i16::from(a) + i16::from(b) - i16::from(c);
                    let (pa, pb, pc) = (
                        (p - i16::from(a)).abs(),
                        (p - i16::from(b)).abs(),
                        (p - i16::from(c)).abs(),
                    );
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                f => panic!("unknown filter {f}"),
            };
            rgb[y * stride + i] = line[i].wrapping_add(pred);
        }
    }
    Png {
        width,
        height,
        pixels_per_metre: ppm,
        rgb,
    }
}

fn report_plot(repo: &Path, out: &Path, plot: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "aimrepo",
        "report",
        "--aim-repo",
        repo.to_str().unwrap(),
        "--output-folder",
        out.to_str().unwrap(),
        "--plot",
        plot.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    tcbench(&args)
}

/// The colours the figure gives the values of the last group-by key (Okabe–Ito).
const PALETTE: [[u8; 3]; 3] = [[0x00, 0x72, 0xb2], [0xe6, 0x9f, 0x00], [0x00, 0x9e, 0x73]];

#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn png_has_paper_size_and_ink_on_both_campaigns() {
    for (repo, series) in [(example(), 3usize), (fixture("campaign"), 2)] {
        let before = tree_state(&repo);
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("fig.png");
        let o = report_plot(&repo, tmp.path(), &file, &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(
            stdout(&o).contains(&format!("saving: {}\n", file.display())),
            "{}",
            stdout(&o)
        );
        let png = decode_png(&std::fs::read(&file).unwrap());
        // 1600 px over a 7-inch column: ~229 dpi recorded in pHYs
        assert_eq!(png.width, 1600);
        assert!(
            (700..2000).contains(&png.height),
            "height {} for one row of 3 panels",
            png.height
        );
        let ppm = png.pixels_per_metre.unwrap();
        assert!(
            (ppm as f64 * 0.0254 - 1600.0 / 7.0).abs() < 0.5,
            "{ppm} px/m"
        );
        // not blank: some ink, mostly paper, anti-aliased edges, each series' colour present
        let pixels: Vec<[u8; 3]> = png.rgb.chunks(3).map(|p| [p[0], p[1], p[2]]).collect();
        let ink = pixels.iter().filter(|p| **p != [255, 255, 255]).count();
        let frac = ink as f64 / pixels.len() as f64;
        assert!((0.03..0.35).contains(&frac), "non-white fraction {frac}");
        let mut colors: Vec<[u8; 3]> = pixels.clone();
        colors.sort_unstable();
        colors.dedup();
        assert!(colors.len() > 200, "{} distinct colours", colors.len());
        for (i, c) in PALETTE.iter().enumerate() {
            let n = pixels.iter().filter(|p| *p == c).count();
            if i < series {
                // 3 contexts × 3 groups × a 9 px-radius dot (+ whiskers, legend)
                assert!(n > 1500, "colour {i}: {n} pixels");
            } else {
                assert_eq!(n, 0, "colour {i} is of no series here");
            }
        }
        // the file is all there is: no temporary sibling left, the repository untouched
        let names: Vec<String> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.contains(".tmp")), "{names:?}");
        assert_eq!(tree_state(&repo), before);

        // an independent decoder agrees (Pillow, in the real-Aim venv)
        {
            let py = common::aim_python("TCBENCH_AIM_PYTHON");
            let script = "import sys\nfrom PIL import Image\nim = Image.open(sys.argv[1])\nim.load()\nprint(im.format, im.mode, im.size[0], im.size[1], round(im.info['dpi'][0]))\nprint(sum(1 for p in im.getdata() if p != (255, 255, 255)))";
            let out = common::run_py(&py, &["-c", script, file.to_str().unwrap()], &root());
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let want = format!(
                "PNG RGB 1600 {} {}\n{ink}\n",
                png.height,
                (1600.0f64 / 7.0).round()
            );
            assert_eq!(text, want);
        }
    }
}

// ---------------------------------------------------------------- SVG, parsed

#[derive(Debug)]
struct El {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
}

impl El {
    fn attr(&self, k: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.as_str())
    }
    fn num(&self, k: &str) -> f64 {
        self.attr(k).unwrap().parse().unwrap()
    }
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';').expect("entity ends with ;") + i;
        out.push_str(match &rest[i + 1..end] {
            "amp" => "&",
            "lt" => "<",
            "gt" => ">",
            "quot" => "\"",
            "apos" => "'",
            e => panic!("unknown entity &{e};"),
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// A strict little XML reader: balanced tags, quoted attributes, known entities, one root;
/// returns the elements in document order with their direct text.
fn parse_xml(doc: &str) -> Vec<El> {
    let mut els: Vec<El> = Vec::new();
    let mut stack: Vec<(String, usize)> = Vec::new();
    let mut roots = 0;
    let mut rest = doc;
    while let Some(lt) = rest.find('<') {
        let text = &rest[..lt];
        assert!(!text.contains('>'), "stray `>` in text {text:?}");
        match stack.last() {
            Some((_, idx)) => els[*idx].text.push_str(&unescape(text)),
            None => assert!(text.trim().is_empty(), "text outside the root: {text:?}"),
        }
        rest = &rest[lt..];
        let gt = rest.find('>').expect("tag ends");
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if tag.starts_with('?') {
            assert!(tag.ends_with('?') && els.is_empty(), "prolog first");
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let (open, _) = stack.pop().expect("closing tag has an opening one");
            assert_eq!(open, name.trim(), "tags nest");
            continue;
        }
        let self_closing = tag.ends_with('/');
        let body = tag.trim_end_matches('/');
        let name_end = body.find(char::is_whitespace).unwrap_or(body.len());
        let name = body[..name_end].to_owned();
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "tag name {name:?}"
        );
        let mut attrs = Vec::new();
        let mut a = body[name_end..].trim_start();
        while !a.is_empty() {
            let eq = a.find('=').expect("attribute has =");
            let key = a[..eq].trim().to_owned();
            assert!(a[eq + 1..].starts_with('"'), "attribute {key} is quoted");
            let close = a[eq + 2..].find('"').expect("quote closes") + eq + 2;
            assert!(!attrs.iter().any(|(k, _): &(String, String)| k == &key));
            attrs.push((key, unescape(&a[eq + 2..close])));
            a = a[close + 1..].trim_start();
        }
        if stack.is_empty() {
            roots += 1;
        }
        els.push(El {
            name: name.clone(),
            attrs,
            text: String::new(),
        });
        if !self_closing {
            stack.push((name, els.len() - 1));
        }
    }
    assert!(
        rest.trim().is_empty() && stack.is_empty(),
        "every tag closed"
    );
    assert_eq!(roots, 1, "one root element");
    els
}

fn report_json(repo: &Path, out: &Path, extra: &[&str]) -> J {
    let mut args = vec![
        "aimrepo",
        "report",
        "--aim-repo",
        repo.to_str().unwrap(),
        "--output-folder",
        out.to_str().unwrap(),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let o = tcbench(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn key_text(v: &J) -> String {
    match v {
        J::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One panel as drawn: its context, tick values with their y, dots, vertical whiskers.
struct Panel {
    context: String,
    ticks: Vec<(f64, f64)>,
    dots: Vec<(f64, f64)>,
    whiskers: Vec<(f64, f64, f64)>,
}

fn panels(els: &[El]) -> Vec<Panel> {
    let mut out: Vec<Panel> = Vec::new();
    for e in els {
        match (e.name.as_str(), e.attr("class")) {
            ("text", Some("context")) => out.push(Panel {
                context: e.text.clone(),
                ticks: Vec::new(),
                dots: Vec::new(),
                whiskers: Vec::new(),
            }),
            ("text", Some("tick")) => {
                // the label's baseline sits 0.36 em under its tick
                let y = e.num("y") - 0.36 * e.num("font-size");
                out.last_mut()
                    .unwrap()
                    .ticks
                    .push((e.text.parse().unwrap(), y));
            }
            ("circle", _) if !out.is_empty() => out
                .last_mut()
                .unwrap()
                .dots
                .push((e.num("cx"), e.num("cy"))),
            ("line", _)
                if !out.is_empty()
                    && e.attr("stroke-width") == Some("3")
                    && e.num("x1") == e.num("x2") =>
            {
                out.last_mut()
                    .unwrap()
                    .whiskers
                    .push((e.num("x1"), e.num("y1"), e.num("y2")));
            }
            _ => {}
        }
    }
    out
}

#[test]
#[cfg_attr(
    tcbench_skip_interop,
    ignore = "TCBENCH_SKIP_INTEROP: needs Python with real Aim (scripts/test.sh)"
)]
fn svg_draws_every_group_mean_and_interval_with_its_labels() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("fig.svg");
    let o = report_plot(&example(), tmp.path(), &file, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc = std::fs::read_to_string(&file).unwrap();
    let els = parse_xml(&doc);
    assert_eq!(els[0].name, "svg");
    assert_eq!(els[0].attr("width"), Some("1600"));
    {
        let py = common::aim_python("TCBENCH_AIM_PYTHON");
        // an independent XML parser accepts it too
        let script = "import sys, xml.etree.ElementTree as ET\nr = ET.parse(sys.argv[1]).getroot()\nprint(r.tag, len(r.findall('{http://www.w3.org/2000/svg}text')))";
        let out = common::run_py(&py, &["-c", script, file.to_str().unwrap()], &root());
        let n_text = els.iter().filter(|e| e.name == "text").count();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("{{http://www.w3.org/2000/svg}}svg {n_text}\n")
        );
    }

    let report = report_json(&example(), tmp.path(), &[]);
    let campaign = &report[0];
    let groupby: Vec<&str> = campaign["groupby"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(groupby, ["aug_name", "flowpic_dim"]);
    let groups = campaign["groups"].as_array().unwrap();
    let texts = |class: &str| -> Vec<String> {
        els.iter()
            .filter(|e| e.name == "text" && e.attr("class") == Some(class))
            .map(|e| e.text.clone())
            .collect()
    };
    // one panel per context, titled with it
    let mut contexts: Vec<String> = groups
        .iter()
        .map(|g| g["split"].as_str().unwrap().to_owned())
        .collect();
    contexts.dedup();
    assert_eq!(texts("context"), contexts);
    // along x, each panel: every aug_name; in the legend: every flowpic_dim
    let mut aug: Vec<String> = groups
        .iter()
        .map(|g| key_text(&g["groups"]["aug_name"]))
        .collect();
    aug.sort();
    aug.dedup();
    let want_x: Vec<String> = contexts.iter().flat_map(|_| aug.clone()).collect();
    let mut got_x = texts("group");
    got_x.sort();
    let mut want_sorted = want_x.clone();
    want_sorted.sort();
    assert_eq!(got_x, want_sorted);
    let mut dims: Vec<String> = groups
        .iter()
        .map(|g| key_text(&g["groups"]["flowpic_dim"]))
        .collect();
    dims.sort();
    dims.dedup();
    let mut legend = texts("legend");
    legend.sort();
    assert_eq!(legend, dims);
    assert_eq!(texts("legend-title"), ["flowpic_dim:"]);
    assert!(texts("axis").iter().all(|t| t == "acc" || t == "aug_name"));

    // read the dots and whiskers back through each panel's tick scale
    let drawn = panels(&els);
    assert_eq!(drawn.len(), contexts.len());
    for p in &drawn {
        let (v0, y0) = p.ticks[0];
        let (v1, y1) = *p.ticks.last().unwrap();
        assert!(p.ticks.len() >= 3 && v1 > v0 && y1 < y0, "ticks go up");
        let value = |y: f64| v0 + (y - y0) * (v1 - v0) / (y1 - y0);
        let want: Vec<&J> = groups.iter().filter(|g| g["split"] == p.context).collect();
        assert_eq!(p.dots.len(), want.len(), "{}: one dot per group", p.context);
        assert_eq!(p.whiskers.len(), want.len());
        let mut got: Vec<(f64, f64)> = p
            .dots
            .iter()
            .map(|&(cx, cy)| {
                let &(_, ya, yb) = p.whiskers.iter().find(|w| w.0 == cx).unwrap();
                let mean = value(cy);
                assert!((value(ya) + value(yb) - 2.0 * mean).abs() < 0.01, "centred");
                (mean, (value(yb) - value(ya)).abs() / 2.0)
            })
            .collect();
        let mut exp: Vec<(f64, f64)> = want
            .iter()
            .map(|g| {
                let s = &g["metrics"]["acc"];
                (s["mean"].as_f64().unwrap(), s["ci95"].as_f64().unwrap())
            })
            .collect();
        got.sort_by(|a, b| a.0.total_cmp(&b.0));
        exp.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (g, e) in got.iter().zip(&exp) {
            assert!(
                (g.0 - e.0).abs() < 0.01 && (g.1 - e.1).abs() < 0.01,
                "{}: drawn {g:?}, report {e:?}",
                p.context
            );
        }
    }
}

#[test]
fn plot_without_groups_draws_one_point_per_context() {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["all.svg", "all.png"] {
        let file = tmp.path().join(name);
        let o = report_plot(&example(), tmp.path(), &file, &["--groupby", ""]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(file.is_file());
    }
    let els = parse_xml(&std::fs::read_to_string(tmp.path().join("all.svg")).unwrap());
    let drawn = panels(&els);
    assert_eq!(drawn.len(), 3);
    assert!(drawn
        .iter()
        .all(|p| p.dots.len() == 1 && p.whiskers.len() == 1));
    let labels: Vec<&str> = els
        .iter()
        .filter(|e| e.attr("class") == Some("group"))
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(labels, ["all runs"; 3]);
    assert!(!els.iter().any(|e| e.attr("class") == Some("legend")));
    let png = decode_png(&std::fs::read(tmp.path().join("all.png")).unwrap());
    assert_eq!(png.width, 1600);
    assert!(png.rgb.iter().any(|&b| b < 128));
}

#[test]
fn unknown_extension_is_a_one_line_error_before_reading() {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["fig.jpg", "fig"] {
        let file = tmp.path().join(name);
        let o = report_plot(&example(), tmp.path(), &file, &[]);
        assert_eq!(o.status.code(), Some(1));
        assert_eq!(stdout(&o), "");
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("tcbench: error: --plot"), "{err}");
        assert!(err.contains(name) && err.contains(".svg or .png"), "{err}");
    }
    // nothing written: no figure, no report files
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
}

#[test]
fn never_writes_inside_the_repository_aim_folder() {
    let (_tmp, repo) = common::fixture_copy("campaign");
    let out = tempfile::tempdir().unwrap();
    let before = tree_state(&repo.join(".aim"));
    let o = report_plot(&repo, out.path(), &repo.join(".aim").join("fig.png"), &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("`.aim`"), "{}", stderr(&o));
    assert_eq!(tree_state(&repo.join(".aim")), before);
    // next to `.aim` is fine, as `campaign_summary/` is
    let o = report_plot(&repo, out.path(), &repo.join("fig.svg"), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(repo.join("fig.svg").is_file());
}

#[test]
fn several_campaigns_get_one_figure_each() {
    // two real campaigns (ids 1684447037 and campagne-été-✓) in one repository
    let tmp = tempfile::tempdir().unwrap();
    let merged = tmp.path().join("merged");
    let o = tcbench(&[
        "aimrepo",
        "merge",
        "--src",
        fixture("campaign").to_str().unwrap(),
        "--src",
        fixture("campaign-quirks").to_str().unwrap(),
        "--dst",
        merged.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let file = tmp.path().join("fig.svg");
    let o = report_plot(&merged, tmp.path(), &file, &["--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!file.exists());
    for id in ["1684447037", "campagne-été-✓"] {
        let f = tmp.path().join(format!("fig_{id}.svg"));
        assert!(
            stderr(&o).contains(&format!("tcbench: saving: {}\n", f.display())),
            "{}",
            stderr(&o)
        );
        let els = parse_xml(&std::fs::read_to_string(&f).unwrap());
        let title = els
            .iter()
            .find(|e| e.attr("class") == Some("title"))
            .unwrap();
        assert!(
            title.text.starts_with(&format!("campaign {id} (")),
            "{}",
            title.text
        );
    }
}
