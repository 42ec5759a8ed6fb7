//! Message templates written by staff (minijinja): rendered against named variables, with
//! unknown variables refused, so a typo shows when the template is saved, not as a blank in
//! a customer's message.

use minijinja::{Environment, UndefinedBehavior, Value};
use patron_domain::FieldError;
use std::collections::BTreeMap;

/// Variables of one message: name, store, tier ... as text.
pub type Vars = BTreeMap<&'static str, String>;

/// Longest template accepted (an e-mail body is longer than any SMS).
const MAX_CHARS: usize = 2_000;

/// The work one rendering may do (about one unit per instruction). A 2,000-character
/// template with a few loops over its variables uses a few thousand; nested loops over
/// `range` would run for minutes without a bound.
const FUEL: u64 = 100_000;

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_fuel(Some(FUEL));
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Plain text goes out: nothing to escape.
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env
}

/// Renders `source` with `vars`. `field` names the template in errors.
pub fn render(source: &str, vars: &Vars, field: &'static str) -> Result<String, FieldError> {
    if source.chars().count() > MAX_CHARS {
        return Err(FieldError::new(field, "error.template.long"));
    }
    environment()
        .render_str(
            source,
            Value::from_pairs(vars.iter().map(|(k, v)| (*k, v.as_str()))),
        )
        .map(|s| s.trim().to_string())
        .map_err(|e| match e.kind() {
            minijinja::ErrorKind::UndefinedError => {
                FieldError::new(field, "error.template.variable")
            }
            minijinja::ErrorKind::OutOfFuel => FieldError::new(field, "error.template.fuel"),
            _ => FieldError::new(field, "error.template.syntax"),
        })
}

/// Checks a template against the variables its messages will have (sample values).
pub fn check(source: &str, names: &[&'static str], field: &'static str) -> Result<(), FieldError> {
    if source.trim().is_empty() {
        return Err(FieldError::new(field, "error.template.empty"));
    }
    let vars: Vars = names.iter().map(|n| (*n, "x".to_string())).collect();
    render(source, &vars, field).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_refuses_unknown_names_and_bad_syntax() {
        let vars: Vars = [("name", "张三".to_string()), ("store", "一店".to_string())]
            .into_iter()
            .collect();
        assert_eq!(
            render("{{ name }}，{{ store }}祝您中秋快乐！", &vars, "t"),
            Ok("张三，一店祝您中秋快乐！".to_string())
        );
        assert_eq!(
            render("{% if gift %}{{ gift }}{% endif %}", &vars, "t").map_err(|e| e.key),
            Err("error.template.variable")
        );
        assert_eq!(
            render("{{ nmae }}", &vars, "t").map_err(|e| e.key),
            Err("error.template.variable")
        );
        assert_eq!(
            render("{{ name ", &vars, "t").map_err(|e| e.key),
            Err("error.template.syntax")
        );
        assert_eq!(
            check("  ", &["name"], "t").map_err(|e| e.key),
            Err("error.template.empty")
        );
        // A template that would loop without bound is stopped and named.
        let looping = "{% for a in range(1000) %}{% for b in range(1000) %}{{ name }}{% endfor %}{% endfor %}";
        assert_eq!(
            render(looping, &vars, "t").map_err(|e| e.key),
            Err("error.template.fuel")
        );
        assert_eq!(
            check(looping, &["name"], "t").map_err(|e| e.key),
            Err("error.template.fuel")
        );
        // Angle brackets are not escaped: messages are plain text.
        let v: Vars = [("name", "<A&B>".to_string())].into_iter().collect();
        assert_eq!(render("{{ name }}", &v, "t"), Ok("<A&B>".to_string()));
    }
}
