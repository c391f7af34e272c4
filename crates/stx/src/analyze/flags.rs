//! Which frames stand out from their group (same image type, filter and exposure),
//! judged robustly: a figure is flagged when it lies more than k robust σ
//! (1.4826 × the median absolute deviation) beyond the group's median on its bad
//! side. The spread has a floor, so that a group of near-identical frames does not
//! flag the last digit of noise.

use std::collections::BTreeMap;
use std::fmt::{self, Write};

use stx_history::ImageType;

use super::measure::{Figures, Measured};

/// Groups smaller than this are not judged: a median of two says nothing robust.
pub(crate) const MIN_GROUP: usize = 3;
/// MAD × this is the σ of a normal distribution.
const MAD_TO_SIGMA: f64 = 1.4826;
/// Default k: 3 robust σ flags about 1 frame in 400 of a normal scatter.
pub(crate) const DEFAULT_NSIGMA: f64 = 3.0;

/// A way a frame can stand out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Flag {
    /// HFR far above the group's: soft focus, poor seeing, wind.
    Hfr,
    /// Background (the frame median) far above: clouds lit by town or moon, dawn.
    Sky,
    /// Stars far below: clouds, dew, a closed or misaligned cover.
    Stars,
    /// Stars far more elongated: trailing, a guiding fault, wind.
    Elongated,
    /// Far more saturated stars.
    Saturated,
    /// One column far above the others: a hot or bleeding column, a trail along
    /// the columns.
    Column,
}

/// Which side of the median is bad.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Above,
    Below,
}

/// How the floor of a figure's spread is given.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Floor {
    /// A fraction of the group's median.
    Relative,
    /// In the figure's own unit.
    Absolute,
}

impl Flag {
    /// Every flag, in the order they are printed.
    pub(crate) const ALL: [Flag; 6] =
        [Flag::Hfr, Flag::Sky, Flag::Stars, Flag::Elongated, Flag::Saturated, Flag::Column];

    /// The name in the table, the JSON and `--min-spread`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Flag::Hfr => "HFR",
            Flag::Sky => "SKY",
            Flag::Stars => "STARS",
            Flag::Elongated => "ELONG",
            Flag::Saturated => "SAT",
            Flag::Column => "COLUMN",
        }
    }

    /// The flag named `name` (any case).
    pub(crate) fn from_name(name: &str) -> Option<Flag> {
        Flag::ALL.into_iter().find(|f| f.name().eq_ignore_ascii_case(name))
    }

    /// The figure judged.
    fn value(self, f: &Figures) -> Option<f64> {
        match self {
            Flag::Hfr => f.hfr.filter(|&h| h > 0.0),
            Flag::Sky => Some(f.median),
            Flag::Stars => f.stars.map(|n| n as f64),
            Flag::Elongated => f.elongation,
            Flag::Saturated => f.saturated.map(|n| n as f64),
            Flag::Column => Some(f.column_excess),
        }
    }

    /// What the figure is, for the printed rule.
    fn figure(self) -> &'static str {
        match self {
            Flag::Hfr => "HFR",
            Flag::Sky => "background (frame median)",
            Flag::Stars => "star count",
            Flag::Elongated => "elongation a/b",
            Flag::Saturated => "saturated stars",
            Flag::Column => "highest column median over the typical column's, in their σ",
        }
    }

    fn side(self) -> Side {
        if self == Flag::Stars { Side::Below } else { Side::Above }
    }

    /// The floor of the spread: kind and default. HFR varies a few per cent with
    /// seeing, so 5 %; the sky median moves little between frames, 1 %; star counts
    /// scatter more, 10 %; elongation 0.05 (round stars read 1.00–1.05); saturated
    /// stars 2 (a star or two crosses the level with seeing); the column excess
    /// 1 (in the columns' robust σ: a clean frame reads 3–4 and scatters by a
    /// few tenths).
    fn floor(self) -> (Floor, f64) {
        match self {
            Flag::Hfr => (Floor::Relative, 0.05),
            Flag::Sky => (Floor::Relative, 0.01),
            Flag::Stars => (Floor::Relative, 0.10),
            Flag::Elongated => (Floor::Absolute, 0.05),
            Flag::Saturated => (Floor::Absolute, 2.0),
            Flag::Column => (Floor::Absolute, 1.0),
        }
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The judging rule: k and the spread floors.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Rule {
    nsigma: f64,
    floors: BTreeMap<Flag, f64>,
}

impl Rule {
    /// k = `nsigma`, the default floors except those given.
    pub(crate) fn new(nsigma: f64, floors: &[(Flag, f64)]) -> Rule {
        let mut all: BTreeMap<Flag, f64> = Flag::ALL.iter().map(|&f| (f, f.floor().1)).collect();
        all.extend(floors.iter().copied());
        Rule { nsigma, floors: all }
    }

    /// The rule in words, printed under the table.
    pub(crate) fn describe(&self) -> String {
        let mut out = format!(
            "Flags: within each group of at least {MIN_GROUP} frames of the same type, filter and \
             exposure, a frame is flagged when a figure lies beyond median ± {} × max(1.4826 × MAD, floor):",
            self.nsigma
        );
        for flag in Flag::ALL {
            let floor = match flag.floor().0 {
                Floor::Relative => format!("{} % of the median", 100.0 * self.floors[&flag]),
                Floor::Absolute => format!("{}", self.floors[&flag]),
            };
            let side = if flag.side() == Side::Above { "above" } else { "below" };
            let _ = write!(
                out,
                "\n  {:<7}{side} the median: {}; spread floor {floor}",
                flag.name(),
                flag.figure()
            );
        }
        out
    }
}

/// A group of frames judged together.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct GroupKey {
    /// The image type's history name.
    pub(crate) image_type: Option<&'static str>,
    pub(crate) filter: Option<String>,
    /// Exposure in ms (so that 300 and 300.0004 s are one group).
    pub(crate) exposure_ms: Option<i64>,
}

impl GroupKey {
    fn of(m: &Measured) -> GroupKey {
        GroupKey {
            image_type: m.info.image_type.map(ImageType::wire_name),
            filter: m.info.filter.clone(),
            exposure_ms: m.info.exposure_s.map(|e| (e * 1000.0).round() as i64),
        }
    }
}

impl fmt::Display for GroupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.image_type.unwrap_or("type ?");
        let filter = self.filter.as_deref().unwrap_or("no filter");
        match self.exposure_ms {
            Some(ms) => write!(f, "{kind}, {filter}, {} s", ms as f64 / 1000.0),
            None => write!(f, "{kind}, {filter}, exposure ?"),
        }
    }
}

/// A limit a group's frames were held to.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Limit {
    pub(crate) flag: Flag,
    pub(crate) median: f64,
    /// Beyond this (above or below, as the flag's side is) a frame is flagged.
    pub(crate) limit: f64,
}

/// A group and its limits (none if it has fewer than [`MIN_GROUP`] frames).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Group {
    pub(crate) key: GroupKey,
    pub(crate) frames: usize,
    pub(crate) limits: Vec<Limit>,
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} frames): ", self.key, self.frames)?;
        if self.limits.is_empty() {
            return write!(f, "not judged (fewer than {MIN_GROUP} frames)");
        }
        let limits: Vec<String> = self
            .limits
            .iter()
            .map(|l| {
                let op = if l.flag.side() == Side::Above { ">" } else { "<" };
                format!("{} {op} {}", l.flag, round(l.limit))
            })
            .collect();
        f.write_str(&limits.join(", "))
    }
}

/// A limit printed with 4 significant digits.
fn round(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return v.to_string();
    }
    let decimals = (3 - v.abs().log10().floor() as i32).max(0) as usize;
    format!("{v:.decimals$}")
}

/// Judges every frame: the flags of each (in the order of `frames`), and the groups.
pub(crate) fn judge(frames: &[Measured], rule: &Rule) -> (Vec<Vec<Flag>>, Vec<Group>) {
    let mut members: BTreeMap<GroupKey, Vec<usize>> = BTreeMap::new();
    for (i, m) in frames.iter().enumerate() {
        members.entry(GroupKey::of(m)).or_default().push(i);
    }
    let mut flags = vec![Vec::new(); frames.len()];
    let mut groups = Vec::new();
    for (key, indices) in members {
        let mut limits = Vec::new();
        for flag in Flag::ALL {
            let values: Vec<(usize, f64)> =
                indices.iter().filter_map(|&i| flag.value(&frames[i].figures).map(|v| (i, v))).collect();
            if values.len() < MIN_GROUP {
                continue;
            }
            let limit = limit(flag, rule, &values.iter().map(|v| v.1).collect::<Vec<f64>>());
            for &(i, v) in &values {
                let beyond = match flag.side() {
                    Side::Above => v > limit.limit,
                    Side::Below => v < limit.limit,
                };
                if beyond {
                    flags[i].push(flag);
                }
            }
            limits.push(limit);
        }
        groups.push(Group { key, frames: indices.len(), limits });
    }
    (flags, groups)
}

/// The limit of one figure over a group's values.
fn limit(flag: Flag, rule: &Rule, values: &[f64]) -> Limit {
    let median = median(values);
    let mad = median_of(values.iter().map(|v| (v - median).abs()).collect());
    let floor = match flag.floor().0 {
        Floor::Relative => rule.floors[&flag] * median.abs(),
        Floor::Absolute => rule.floors[&flag],
    };
    let reach = rule.nsigma * (MAD_TO_SIGMA * mad).max(floor);
    let limit = match flag.side() {
        Side::Above => median + reach,
        Side::Below => median - reach,
    };
    Limit { flag, median, limit }
}

fn median(values: &[f64]) -> f64 {
    median_of(values.to_vec())
}

fn median_of(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    (v[(v.len() - 1) / 2] + v[v.len() / 2]) / 2.0
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::analyze::header::FrameInfo;

    fn frame(hfr: f64, median: f64, stars: usize, filter: &str) -> Measured {
        Measured {
            path: PathBuf::from("f.fits"),
            info: FrameInfo {
                image_type: Some(ImageType::Light),
                filter: Some(filter.to_owned()),
                exposure_s: Some(300.0),
                ..FrameInfo::default()
            },
            figures: Figures {
                mean: median,
                median,
                std_dev: 10.0,
                min: 0.0,
                max: 65535.0,
                stars: Some(stars),
                hfr: Some(hfr),
                hfr_std_dev: Some(0.2),
                elongation: Some(1.02),
                saturated: Some(3),
                column_excess: 3.5,
            },
        }
    }

    /// Judges frames given as (HFR, median, stars, filter) and checks each one's flags.
    fn check(frames: &[(f64, f64, usize, &str)], expect: &[&[Flag]]) {
        let frames: Vec<Measured> = frames.iter().map(|&(h, m, s, f)| frame(h, m, s, f)).collect();
        let (flags, _) = judge(&frames, &Rule::new(DEFAULT_NSIGMA, &[]));
        assert_eq!(flags, expect);
    }

    #[test]
    fn identical_frames_flag_nothing() {
        check(&[(2.0, 1100.0, 900, "R"); 5], &[&[] as &[Flag]; 5]);
    }

    #[test]
    fn the_floor_keeps_small_scatter_unflagged() {
        // 7 % above the median HFR: within 3 × 5 %.
        check(
            &[(2.0, 1100.0, 900, "R"), (2.0, 1100.0, 900, "R"), (2.14, 1105.0, 820, "R")],
            &[&[], &[], &[]],
        );
    }

    #[test]
    fn outliers_on_their_bad_side_are_flagged() {
        check(
            &[
                (2.0, 1100.0, 900, "R"),
                (2.05, 1101.0, 910, "R"),
                (1.97, 1099.0, 890, "R"),
                (3.5, 1100.0, 880, "R"),  // soft focus
                (2.02, 1300.0, 300, "R"), // clouds
                (1.5, 1050.0, 1200, "R"), // better than the rest: no flag
            ],
            &[&[], &[], &[], &[Flag::Hfr], &[Flag::Sky, Flag::Stars], &[]],
        );
    }

    #[test]
    fn groups_are_judged_apart_and_small_ones_not_at_all() {
        let frames = [
            (2.0, 1100.0, 900, "R"),
            (2.0, 1100.0, 900, "R"),
            (2.0, 1100.0, 900, "R"),
            (4.0, 1500.0, 300, "Ha"),
            (4.0, 1500.0, 300, "Ha"),
            (4.0, 1500.0, 300, "Ha"),
            (9.0, 9000.0, 1, "B"),
        ];
        check(&frames, &[&[] as &[Flag]; 7]);
        let measured: Vec<Measured> = frames.iter().map(|&(h, m, s, f)| frame(h, m, s, f)).collect();
        let (_, groups) = judge(&measured, &Rule::new(3.0, &[(Flag::Hfr, 0.1)]));
        let shown: Vec<String> = groups.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "LIGHT, B, 300 s (1 frames): not judged (fewer than 3 frames)",
                "LIGHT, Ha, 300 s (3 frames): HFR > 5.200, SKY > 1545, STARS < 210.0, ELONG > 1.170, SAT > 9.000, COLUMN > 6.500",
                "LIGHT, R, 300 s (3 frames): HFR > 2.600, SKY > 1133, STARS < 630.0, ELONG > 1.170, SAT > 9.000, COLUMN > 6.500",
            ]
        );
    }
}
