//! Axes: "nice" tick values (1, 2, 2.5 or 5 × 10^k) that cover the data, the linear and band
//! scales that turn values and categories into coordinates, and how many category labels fit.

use super::Format;

/// Step mantissas, finest first; a step is one of these times a power of ten.
const MANTISSAS: [f64; 4] = [1.0, 2.0, 2.5, 5.0];
/// No axis carries more ticks than this, whatever it is asked.
const MAX_TICKS: f64 = 40.0;

/// A tick step, `MANTISSAS[m] × 10^exp`, kept symbolic so tick values are computed exactly.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Step {
    m: usize,
    exp: i32,
}

impl Step {
    /// The finest nice step not below `raw`.
    fn at_least(raw: f64) -> Step {
        let exp = raw.log10().floor() as i32;
        let mut step = Step { m: 0, exp };
        while step.value() < raw * (1.0 - 1e-9) {
            step = step.coarser();
        }
        step
    }

    fn coarser(self) -> Step {
        if self.m + 1 < MANTISSAS.len() {
            Step {
                m: self.m + 1,
                ..self
            }
        } else {
            Step {
                m: 0,
                exp: self.exp + 1,
            }
        }
    }

    fn value(self) -> f64 {
        self.times(1.0)
    }

    /// `k × step`, dividing by a power of ten rather than multiplying by its inexact inverse.
    fn times(self, k: f64) -> f64 {
        let m = MANTISSAS[self.m];
        if self.exp >= 0 {
            k * m * 10f64.powi(self.exp)
        } else {
            k * m / 10f64.powi(-self.exp)
        }
    }

    /// 2.5 of a unit, or any step under one, would put ticks between whole numbers.
    fn is_whole(self) -> bool {
        let v = self.value();
        v >= 1.0 && v.fract() == 0.0
    }
}

/// Tick values from a multiple of the step at or below `min` to one at or above `max`.
fn ticks_with(min: f64, max: f64, step: Step) -> Vec<f64> {
    let s = step.value();
    let first = (min / s + 1e-9).floor();
    let last = (max / s - 1e-9).ceil().max(first + 1.0);
    let count = (last - first).min(MAX_TICKS);
    (0..=count as usize)
        .map(|i| step.times(first + i as f64))
        .collect()
}

/// Makes a range safe to divide: finite, ordered, and not a single point.
fn usable_range(min: f64, max: f64) -> (f64, f64) {
    const LIMIT: f64 = 1e300;
    let clean = |v: f64| {
        if v.is_finite() {
            v.clamp(-LIMIT, LIMIT)
        } else {
            0.0
        }
    };
    let (a, b) = (clean(min), clean(max));
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    if lo < hi {
        (lo, hi)
    } else if lo > 0.0 {
        (0.0, lo)
    } else if lo < 0.0 {
        (lo, 0.0)
    } else {
        (0.0, 1.0)
    }
}

fn first_step(lo: f64, hi: f64, target: usize, whole: bool) -> Step {
    let target = target.clamp(1, 20) as f64;
    let mut step = Step::at_least((hi - lo) / target);
    while (whole && !step.is_whole()) || (hi - lo) / step.value() > MAX_TICKS {
        step = step.coarser();
    }
    step
}

/// About `target` nice ticks covering `min..=max`. When `whole` (the data are counts), steps
/// stay whole numbers. A single-point range is widened to reach zero (or 0..1 for zero).
/// Charts go through [`labelled_ticks`], which starts from exactly these ticks.
#[cfg(test)]
pub(super) fn nice_ticks(min: f64, max: f64, target: usize, whole: bool) -> Vec<f64> {
    let (lo, hi) = usable_range(min, max);
    ticks_with(lo, hi, first_step(lo, hi, target, whole))
}

/// Ticks with their labels. The step is made coarser while two neighbouring labels read the
/// same (the caller's format is coarser than the step, e.g. 0.5 written as "1") or while
/// `fits` says the labels crowd each other.
pub(super) fn labelled_ticks(
    min: f64,
    max: f64,
    target: usize,
    whole: bool,
    format: Format<'_>,
    fits: &dyn Fn(&[f64], &[String]) -> bool,
) -> (Vec<f64>, Vec<String>) {
    let (lo, hi) = usable_range(min, max);
    let mut step = first_step(lo, hi, target, whole);
    let mut tries = 0;
    loop {
        let ticks = ticks_with(lo, hi, step);
        let labels: Vec<String> = ticks.iter().map(|&v| format(v)).collect();
        let distinct = labels.windows(2).all(|w| w[0] != w[1]);
        tries += 1;
        if (distinct && fits(&ticks, &labels)) || tries >= 12 {
            return (ticks, labels);
        }
        step = step.coarser();
    }
}

/// Maps a value range onto a coordinate range (either direction). Out-of-domain values are
/// clamped, so a coordinate is always finite and inside the plot.
#[derive(Debug, Clone, Copy)]
pub(super) struct Linear {
    pub d0: f64,
    pub d1: f64,
    pub r0: f64,
    pub r1: f64,
}

impl Linear {
    pub(super) fn at(&self, v: f64) -> f64 {
        let span = self.d1 - self.d0;
        let (lo, hi) = (self.r0.min(self.r1), self.r0.max(self.r1));
        if !(span.is_finite() && span != 0.0 && v.is_finite()) {
            return (self.r0 + self.r1) / 2.0;
        }
        let t = ((v - self.d0) / span).clamp(0.0, 1.0);
        (self.r0 + t * (self.r1 - self.r0)).clamp(lo, hi)
    }
}

/// Equal slots for `n` categories along `start..end`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Band {
    pub start: f64,
    pub step: f64,
}

impl Band {
    pub(super) fn new(start: f64, end: f64, n: usize) -> Band {
        Band {
            start,
            step: (end - start) / n.max(1) as f64,
        }
    }

    pub(super) fn slot(&self, i: usize) -> f64 {
        self.start + self.step * i as f64
    }

    pub(super) fn center(&self, i: usize) -> f64 {
        self.slot(i) + self.step / 2.0
    }
}

/// How many slots one label needs: label every n-th category so labels `widest` wide, with
/// `gap` between them, never overlap.
pub(super) fn label_every(step: f64, widest: f64, gap: f64) -> usize {
    if step.is_nan() || step <= 0.0 {
        return 1;
    }
    ((widest + gap) / step).ceil().max(1.0) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| (x - y).abs() < 1e-9 * y.abs().max(1.0))
    }

    #[test]
    fn max_9870_gives_0_to_10000_by_2000() {
        assert_eq!(
            nice_ticks(0.0, 9870.0, 5, true),
            vec![0.0, 2000.0, 4000.0, 6000.0, 8000.0, 10000.0]
        );
    }

    #[test]
    fn negative_ranges_cover_both_ends() {
        assert_eq!(
            nice_ticks(-730.0, 0.0, 5, true),
            vec![-800.0, -600.0, -400.0, -200.0, 0.0]
        );
        let t = nice_ticks(-45.0, 120.0, 5, true);
        assert_eq!(t, vec![-50.0, 0.0, 50.0, 100.0, 150.0]);
    }

    #[test]
    fn steps_are_1_2_25_or_5_times_a_power_of_ten() {
        assert!(close(
            &nice_ticks(0.0, 0.9, 4, false),
            &[0.0, 0.25, 0.5, 0.75, 1.0]
        ));
        assert!(close(
            &nice_ticks(0.0, 0.123, 5, false),
            &[0.0, 0.025, 0.05, 0.075, 0.1, 0.125]
        ));
        for (lo, hi) in [
            (0.0, 7.0),
            (3.0, 1e12),
            (-1e9, 5e8),
            (0.01, 0.02),
            (-17.0, -3.0),
        ] {
            let t = nice_ticks(lo, hi, 5, false);
            assert!(t[0] <= lo && *t.last().unwrap() >= hi, "{lo}..{hi}: {t:?}");
            let step = t[1] - t[0];
            let mantissa = step / 10f64.powf(step.log10().floor());
            assert!(
                [1.0, 2.0, 2.5, 5.0]
                    .iter()
                    .any(|m| (m - mantissa).abs() < 1e-6),
                "{step}"
            );
            assert!(t.len() <= 12);
        }
    }

    #[test]
    fn counts_never_get_fractional_steps() {
        assert_eq!(nice_ticks(0.0, 12.0, 5, true), vec![0.0, 5.0, 10.0, 15.0]);
        assert_eq!(nice_ticks(0.0, 3.0, 5, true), vec![0.0, 1.0, 2.0, 3.0]);
        assert_eq!(nice_ticks(0.0, 0.0, 5, true), vec![0.0, 1.0]);
    }

    #[test]
    fn degenerate_ranges_are_widened_not_divided_by_zero() {
        assert_eq!(
            nice_ticks(50.0, 50.0, 5, true),
            vec![0.0, 10.0, 20.0, 30.0, 40.0, 50.0]
        );
        assert_eq!(
            nice_ticks(-8.0, -8.0, 4, true),
            vec![-8.0, -6.0, -4.0, -2.0, 0.0]
        );
        let t = nice_ticks(f64::NAN, f64::INFINITY, 5, false);
        assert!(t.iter().all(|v| v.is_finite()) && t.len() >= 2);
        let huge = nice_ticks(0.0, 1e12, 5, true);
        assert_eq!(huge.last(), Some(&1e12));
        let extreme = nice_ticks(-f64::MAX, f64::MAX, 5, false);
        assert!(extreme.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn labels_that_read_the_same_coarsen_the_step() {
        let round = |v: f64| format!("{v:.0}");
        let (ticks, labels) = labelled_ticks(0.0, 2.0, 8, false, &round, &|_, _| true);
        assert_eq!(labels, vec!["0", "1", "2"]);
        assert_eq!(ticks, vec![0.0, 1.0, 2.0]);
        let wide = |_: &[f64], l: &[String]| l.len() <= 3;
        let (ticks, _) = labelled_ticks(0.0, 100.0, 10, true, &round, &wide);
        assert_eq!(ticks, vec![0.0, 50.0, 100.0]);
    }

    #[test]
    fn linear_scale_maps_and_clamps() {
        let y = Linear {
            d0: 0.0,
            d1: 100.0,
            r0: 300.0,
            r1: 100.0,
        };
        assert_eq!(y.at(0.0), 300.0);
        assert_eq!(y.at(50.0), 200.0);
        assert_eq!(y.at(100.0), 100.0);
        assert_eq!(y.at(1e9), 100.0);
        assert_eq!(y.at(f64::NAN), 200.0);
        let flat = Linear {
            d0: 5.0,
            d1: 5.0,
            r0: 0.0,
            r1: 10.0,
        };
        assert_eq!(flat.at(5.0), 5.0);
    }

    #[test]
    fn label_thinning_keeps_labels_apart() {
        assert_eq!(label_every(50.0, 40.0, 6.0), 1);
        assert_eq!(label_every(20.0, 40.0, 6.0), 3);
        // 365 days on 560 units, labels like "2026-01-01" about 70 wide.
        let band = Band::new(60.0, 620.0, 365);
        let every = label_every(band.step, 70.0, 6.0);
        let shown: Vec<f64> = (0..365).step_by(every).map(|i| band.center(i)).collect();
        assert!(shown.windows(2).all(|w| w[1] - w[0] >= 76.0));
        assert!(shown.len() >= 6, "still labels the axis: {}", shown.len());
        assert_eq!(label_every(0.0, 10.0, 1.0), 1);
    }
}
