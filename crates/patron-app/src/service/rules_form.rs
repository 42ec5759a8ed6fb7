//! The service desk's settings as a form: lists one entry a line, SLA targets as
//! `category severity first-response resolution` in working hours (`4`, `1:30` or `90m`),
//! pipelines as `name: confirmed > ... > completed`, and each store's default pipeline.
//! Reading a form checks every line and names the field at fault; writing one renders the
//! rules so that reading it back gives the same rules.

use super::{Assignment, ServiceRules};
use patron_domain::FieldError;
use patron_domain::service::ticket::{Severity, SlaPolicy, SlaTarget};
use std::collections::BTreeMap;

/// The settings form, field by field as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RulesForm {
    pub categories: String,
    pub root_causes: String,
    pub sla: String,
    /// `manual`, `round_robin` or `least_busy`.
    pub assignment: String,
    pub csat_wait_days: String,
    pub reopen_at_or_below: String,
    pub pipelines: String,
    pub default_pipeline: String,
    /// Store id to pipeline name; blank: the default.
    pub store_pipelines: BTreeMap<i64, String>,
    pub warranty_notice_days: String,
    /// Compensation above this many yuan waits for approval (`200`, `99.50`).
    pub approval_above: String,
    /// A staff member's daily total of compensation, in yuan, before approval; blank: the
    /// default.
    pub daily_approval_above: String,
}

fn yuan_text(fen: i64) -> String {
    match fen % 100 {
        0 => (fen / 100).to_string(),
        f => format!("{}.{f:02}", fen / 100),
    }
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty())
}

/// Working time typed as hours (`4`), hours and minutes (`1:30`) or minutes (`90m`).
fn minutes(text: &str) -> Option<i64> {
    let text = text.trim();
    let n = if let Some(m) = text.strip_suffix('m') {
        m.trim().parse::<i64>().ok()?
    } else if let Some((h, m)) = text.split_once(':') {
        let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
        if !(0..60).contains(&m) {
            return None;
        }
        h * 60 + m
    } else {
        text.strip_suffix('h')
            .unwrap_or(text)
            .trim()
            .parse::<i64>()
            .ok()?
            * 60
    };
    (n > 0).then_some(n)
}

fn minutes_text(n: i64) -> String {
    match (n / 60, n % 60) {
        (h, 0) => h.to_string(),
        (0, m) => format!("{m}m"),
        (h, m) => format!("{h}:{m:02}"),
    }
}

fn number(field: &'static str, text: &str, key: &'static str) -> Result<u32, FieldError> {
    text.trim().parse().map_err(|_| FieldError::new(field, key))
}

impl RulesForm {
    /// The form showing `rules`.
    pub fn of(rules: &ServiceRules) -> Self {
        let sla = rules
            .sla
            .targets
            .iter()
            .map(|t| {
                format!(
                    "{} {} {} {}",
                    t.category,
                    t.severity.code(),
                    minutes_text(t.first_response_minutes),
                    minutes_text(t.resolution_minutes)
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        let assignment = match rules.assignment {
            Assignment::Manual => "manual",
            Assignment::RoundRobin => "round_robin",
            Assignment::LeastBusy => "least_busy",
        };
        Self {
            categories: rules.categories.join("\n"),
            root_causes: rules.root_causes.join("\n"),
            sla,
            assignment: assignment.into(),
            csat_wait_days: rules.csat_wait_days.to_string(),
            reopen_at_or_below: rules.reopen_at_or_below.to_string(),
            pipelines: rules
                .pipelines
                .iter()
                .map(|(name, stages)| format!("{name}: {stages}"))
                .collect::<Vec<_>>()
                .join("\n"),
            default_pipeline: rules.default_pipeline.clone(),
            store_pipelines: rules.store_pipelines.clone(),
            warranty_notice_days: rules.warranty_notice_days.to_string(),
            approval_above: yuan_text(rules.approval_above_fen),
            daily_approval_above: yuan_text(rules.daily_approval_above_fen),
        }
    }

    /// The pipeline names as typed (the store choices offer them), whether or not their
    /// stages read.
    pub fn pipeline_names(&self) -> Vec<String> {
        lines(&self.pipelines)
            .filter_map(|l| l.split_once(':'))
            .map(|(name, _)| name.trim().to_string())
            .filter(|n| !n.is_empty())
            .collect()
    }

    /// The rules the form describes, checked as a whole.
    pub fn read(&self) -> Result<ServiceRules, FieldError> {
        let mut targets: Vec<SlaTarget> = Vec::new();
        for line in lines(&self.sla) {
            let bad = || FieldError::new("sla", "error.service.sla_line");
            let parts: Vec<&str> = line.split_whitespace().collect();
            let [category, severity, first, resolve] = parts.as_slice() else {
                return Err(bad());
            };
            let t = SlaTarget {
                category: category.to_string(),
                severity: Severity::parse(severity).map_err(|_| bad())?,
                first_response_minutes: minutes(first).ok_or_else(bad)?,
                resolution_minutes: minutes(resolve).ok_or_else(bad)?,
            };
            if targets
                .iter()
                .any(|o| o.category == t.category && o.severity == t.severity)
            {
                return Err(bad());
            }
            targets.push(t);
        }
        let categories: Vec<String> = lines(&self.categories).map(String::from).collect();
        if targets
            .iter()
            .any(|t| t.category != "*" && !categories.contains(&t.category))
        {
            return Err(FieldError::new("sla", "error.service.sla_category"));
        }
        let mut pipelines = BTreeMap::new();
        for line in lines(&self.pipelines) {
            let (name, stages) = line
                .split_once(':')
                .ok_or(FieldError::new("pipelines", "error.order.pipeline"))?;
            let stages = patron_domain::service::order::Pipeline::parse(stages)?;
            if pipelines
                .insert(name.trim().to_string(), stages.render())
                .is_some()
            {
                return Err(FieldError::new("pipelines", "error.service.codes"));
            }
        }
        let assignment = match self.assignment.trim() {
            "manual" => Assignment::Manual,
            "round_robin" => Assignment::RoundRobin,
            "least_busy" => Assignment::LeastBusy,
            _ => return Err(FieldError::new("assignment", "error.service.assignment")),
        };
        let rules = ServiceRules {
            categories,
            root_causes: lines(&self.root_causes).map(String::from).collect(),
            sla: SlaPolicy { targets },
            assignment,
            csat_wait_days: number(
                "csat_wait_days",
                &self.csat_wait_days,
                "error.service.csat_wait",
            )?,
            reopen_at_or_below: number(
                "reopen_at_or_below",
                &self.reopen_at_or_below,
                "error.service.reopen_at",
            )?,
            pipelines,
            store_pipelines: self
                .store_pipelines
                .iter()
                .filter(|(_, name)| !name.trim().is_empty())
                .map(|(store, name)| (*store, name.trim().to_string()))
                .collect(),
            default_pipeline: self.default_pipeline.trim().to_string(),
            warranty_notice_days: number(
                "warranty_notice_days",
                &self.warranty_notice_days,
                "error.service.warranty_notice",
            )?,
            approval_above_fen: patron_domain::money::parse_yuan(&self.approval_above)
                .filter(|f| *f >= 0)
                .ok_or(FieldError::new(
                    "approval_above",
                    "error.service.approval_above",
                ))?,
            daily_approval_above_fen: match self.daily_approval_above.trim() {
                "" => super::DEFAULT_DAILY_APPROVAL_ABOVE_FEN,
                typed => patron_domain::money::parse_yuan(typed)
                    .filter(|f| *f >= 0)
                    .ok_or(FieldError::new(
                        "daily_approval_above",
                        "error.service.approval_above",
                    ))?,
            },
        };
        rules.check()?;
        Ok(rules)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_rules_read_back_from_their_form() {
        let rules = ServiceRules::default();
        let form = RulesForm::of(&rules);
        assert!(form.sla.contains("* critical 1 8"), "{}", form.sla);
        assert_eq!(form.read(), Ok(rules));
    }

    #[test]
    fn working_time_reads_hours_minutes_and_both() {
        assert_eq!(minutes("4"), Some(240));
        assert_eq!(minutes("4h"), Some(240));
        assert_eq!(minutes("1:30"), Some(90));
        assert_eq!(minutes("45m"), Some(45));
        assert_eq!(minutes("0"), None);
        assert_eq!(minutes("1:75"), None);
        assert_eq!(minutes("soon"), None);
        for n in [45, 60, 90, 600] {
            assert_eq!(minutes(&minutes_text(n)), Some(n));
        }
    }

    #[test]
    fn each_bad_line_names_its_field() {
        let good = RulesForm::of(&ServiceRules::default());
        let cases = [
            (
                RulesForm {
                    sla: "* urgent 1 8".into(),
                    ..good.clone()
                },
                ("sla", "error.service.sla_line"),
            ),
            (
                RulesForm {
                    sla: "* high 1 8\n* high 2 16".into(),
                    ..good.clone()
                },
                ("sla", "error.service.sla_line"),
            ),
            (
                RulesForm {
                    sla: "furniture high 1 8".into(),
                    ..good.clone()
                },
                ("sla", "error.service.sla_category"),
            ),
            (
                RulesForm {
                    sla: "* high 8 1".into(),
                    ..good.clone()
                },
                ("sla", "error.service.sla"),
            ),
            (
                RulesForm {
                    pipelines: "quick confirmed > completed".into(),
                    ..good.clone()
                },
                ("pipelines", "error.order.pipeline"),
            ),
            (
                RulesForm {
                    default_pipeline: "express".into(),
                    ..good.clone()
                },
                ("pipeline", "error.order.pipeline_name"),
            ),
            (
                RulesForm {
                    assignment: "random".into(),
                    ..good.clone()
                },
                ("assignment", "error.service.assignment"),
            ),
            (
                RulesForm {
                    csat_wait_days: "a week".into(),
                    ..good.clone()
                },
                ("csat_wait_days", "error.service.csat_wait"),
            ),
            (
                RulesForm {
                    warranty_notice_days: "365".into(),
                    ..good.clone()
                },
                ("warranty_notice_days", "error.service.warranty_notice"),
            ),
        ];
        for (form, (field, key)) in cases {
            let e = form.read().expect_err(key);
            assert_eq!((e.field, e.key), (field, key));
        }
    }

    #[test]
    fn a_store_takes_its_own_pipeline() {
        let mut form = RulesForm::of(&ServiceRules::default());
        form.pipelines
            .push_str("\nmeasure_first: confirmed > preparing > installed > completed");
        form.store_pipelines.insert(7, "measure_first".into());
        form.store_pipelines.insert(8, String::new());
        let rules = form.read().expect("rules");
        assert_eq!(rules.store_pipelines.len(), 1);
        let (name, p) = rules.pipeline(7, "").expect("pipeline");
        assert_eq!((name.as_str(), p.stages().len()), ("measure_first", 4));
        assert_eq!(
            rules.pipeline(8, "").expect("default").0,
            "delivery_installation"
        );
    }
}
