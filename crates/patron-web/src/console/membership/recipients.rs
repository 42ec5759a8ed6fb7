//! Who a bulk action (coupons, points) reaches, as the forms offer it: the staff member's
//! saved customer views, then the segments they may see (`App::recipient_choices`), labelled
//! for the select. The app resolves the choice (`App::bulk_recipients`).

use patron_app::membership::recipients::RecipientChoice;

/// `choices` as the select's (value, label) pairs; segments carry `segment_label` before
/// their name.
pub fn labelled(choices: Vec<RecipientChoice>, segment_label: &str) -> Vec<(String, String)> {
    choices
        .into_iter()
        .map(|c| {
            let label = if c.segment {
                format!("{segment_label}{}", c.name)
            } else {
                c.name
            };
            (c.value, label)
        })
        .collect()
}
