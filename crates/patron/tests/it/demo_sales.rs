//! What `patron demo` seeds for the reports: two years of sales at every store up to
//! yesterday, busier at weekends, in the renovation seasons and on the member day, closed
//! for the Spring Festival, members about two thirds of receipts with a few heavy buyers,
//! some refunds days later, customers joining over the two years, and survey answers all
//! along. Every figure here is computed from the seeded rows, none copied from a run.

use jiff::civil::{Date, Weekday};
use patron_app::App;
use patron_domain::calendar::Festival;
use std::collections::BTreeMap;

/// One store's receipts by local day: (receipts, member receipts).
type Days = BTreeMap<Date, (i64, i64)>;

fn date_of(local_day: i64) -> Date {
    Date::new(
        (local_day / 10_000) as i16,
        (local_day / 100 % 100) as i8,
        (local_day % 100) as i8,
    )
    .expect("local day")
}

fn mean(values: impl Iterator<Item = i64>) -> f64 {
    let (sum, n) = values.fold((0, 0), |(s, n), v| (s + v, n + 1));
    sum as f64 / f64::from(n.max(1))
}

pub(crate) async fn two_years(app: &App) {
    let pool = app.db().pool();
    let rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT store_id, local_day, COUNT(*), \
         CAST(SUM(CASE WHEN customer_id IS NULL THEN 0 ELSE 1 END) AS BIGINT) \
         FROM sales GROUP BY store_id, local_day",
    )
    .fetch_all(pool)
    .await
    .expect("days");
    let mut stores: BTreeMap<i64, Days> = BTreeMap::new();
    for (store, day, receipts, members) in rows {
        stores
            .entry(store)
            .or_default()
            .insert(date_of(day), (receipts, members));
    }
    assert_eq!(stores.len(), 3, "sales at every store");
    let mut flagship = 0.0;
    for (store, days) in &stores {
        let tz = app.store_timezone(*store).await.expect("zone");
        let today = tz.to_datetime(app.now()).date();
        let yesterday = today.yesterday().expect("yesterday");
        let first = *days.keys().next().expect("first day");
        let last = *days.keys().last().expect("last day");
        // Two years up to yesterday (either end may fall on a closed day).
        assert!(
            last <= yesterday && (yesterday - last).get_days() <= 2,
            "{last}"
        );
        let span = (last - first).get_days();
        assert!((725..=731).contains(&span), "{span} days from {first}");
        // Tens of receipts on an average open day.
        let per_day = mean(days.values().map(|d| d.0));
        assert!(per_day >= 10.0, "store {store}: {per_day} receipts a day");
        flagship = f64::max(flagship, per_day);
        weekends_and_seasons(days);
        spring_festivals(days, first, last);
        member_days(days);
    }
    assert!(flagship >= 15.0, "the flagship is busier: {flagship}");
    members_and_heavy_buyers(app).await;
    refunds(app).await;
    hours_staff_and_joining(app).await;
    surveys(app).await;
}

fn weekends_and_seasons(days: &Days) {
    let weekend = |d: &Date| matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday);
    let on_weekends = mean(days.iter().filter(|(d, _)| weekend(d)).map(|(_, v)| v.0));
    let on_weekdays = mean(days.iter().filter(|(d, _)| !weekend(d)).map(|(_, v)| v.0));
    assert!(
        on_weekends > 1.3 * on_weekdays,
        "weekends {on_weekends} against weekdays {on_weekdays}"
    );
    let in_months = |months: &[i8]| {
        mean(
            days.iter()
                .filter(|(d, _)| months.contains(&d.month()))
                .map(|(_, v)| v.0),
        )
    };
    let renovating = in_months(&[4, 10]);
    let summer = in_months(&[7, 8]);
    assert!(
        renovating > 1.5 * summer,
        "April and October {renovating}, summer {summer}"
    );
}

/// Closed on 除夕 and 初一, and the festival week (除夕 to 初六) far below the two years'
/// average day; dates from the lunar calendar.
fn spring_festivals(days: &Days, first: Date, last: Date) {
    let average =
        days.values().map(|d| d.0).sum::<i64>() as f64 / f64::from((last - first).get_days() + 1);
    let mut seen = 0;
    for year in first.year()..=last.year() {
        let Some(new_year) = Festival::SpringFestival.date_in_lunar_year(year) else {
            continue;
        };
        let eve = new_year.yesterday().expect("eve");
        let week_end = new_year
            .checked_add(jiff::Span::new().days(6))
            .expect("week");
        if eve < first || week_end > last {
            continue;
        }
        seen += 1;
        assert!(
            !days.contains_key(&eve) && !days.contains_key(&new_year),
            "{new_year}"
        );
        let week: i64 = days.range(eve..=week_end).map(|(_, v)| v.0).sum();
        assert!(
            (week as f64) / 7.0 < 0.4 * average,
            "{new_year}: {week} receipts in the week, {average} a day on average"
        );
    }
    assert!(seen >= 1, "a Spring Festival within two years");
}

/// The 18th brings members in; walk-ins do not change.
fn member_days(days: &Days) {
    let member_day = |d: &Date| d.day() == 18;
    let members_on = mean(days.iter().filter(|(d, _)| member_day(d)).map(|(_, v)| v.1));
    let members_off = mean(
        days.iter()
            .filter(|(d, _)| !member_day(d))
            .map(|(_, v)| v.1),
    );
    assert!(
        members_on > 1.5 * members_off,
        "members on the 18th {members_on}, other days {members_off}"
    );
}

async fn members_and_heavy_buyers(app: &App) {
    let pool = app.db().pool();
    let (all, members): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), COUNT(customer_id) FROM sales")
            .fetch_one(pool)
            .await
            .expect("share");
    let share = members as f64 / all as f64;
    assert!((0.5..=0.8).contains(&share), "members' share {share}");
    let buyers: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT customer_id, COUNT(*), CAST(SUM(net_fen) AS BIGINT) FROM sales \
         WHERE customer_id IS NOT NULL GROUP BY customer_id ORDER BY COUNT(*) DESC",
    )
    .fetch_all(pool)
    .await
    .expect("buyers");
    let median = buyers[buyers.len() / 2].1;
    let average_ticket = buyers.iter().map(|b| b.2).sum::<i64>() as f64
        / buyers.iter().map(|b| b.1).sum::<i64>() as f64;
    let heavy: Vec<_> = buyers
        .iter()
        .filter(|b| b.1 >= 10 * median && b.2 as f64 / b.1 as f64 > average_ticket)
        .collect();
    assert!(
        (3..=20).contains(&heavy.len()),
        "{} heavy buyers (median {median} receipts)",
        heavy.len()
    );
}

/// A small share of receipts refunded, each on a later day than its sale.
async fn refunds(app: &App) {
    let pool = app.db().pool();
    let refunds: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT r.at_ms, s.local_day FROM refunds r JOIN sales s ON s.id = r.sale_id",
    )
    .fetch_all(pool)
    .await
    .expect("refunds");
    let (sales, refunded): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), CAST(SUM(CASE WHEN refunded_net_fen > 0 THEN 1 ELSE 0 END) AS BIGINT) \
         FROM sales",
    )
    .fetch_one(pool)
    .await
    .expect("sales");
    let count = refunds.len() as i64;
    assert!(count > 0 && count * 20 < sales, "{count} refunds");
    assert_eq!(refunded, count, "one refund a refunded sale");
    let tz = app.config().timezone();
    for (at, sold_on) in refunds {
        let at = jiff::Timestamp::from_millisecond(at).expect("time");
        assert!(
            tz.to_datetime(at).date() > date_of(sold_on),
            "refunded on a later day"
        );
    }
}

/// Receipts within opening hours with lunch and evening peaks, every one rung up by staff
/// of its store; customers joining over the two years, none buying before they joined.
async fn hours_staff_and_joining(app: &App) {
    let pool = app.db().pool();
    let tz = app.config().timezone();
    let times: Vec<(i64,)> = sqlx::query_as("SELECT sold_at_ms FROM sales")
        .fetch_all(pool)
        .await
        .expect("times");
    let mut hours = [0i64; 24];
    for (at,) in times {
        let at = jiff::Timestamp::from_millisecond(at).expect("time");
        hours[tz.to_datetime(at).hour() as usize] += 1;
    }
    assert_eq!(hours[..9].iter().chain(&hours[21..]).sum::<i64>(), 0);
    assert!(hours[12] > hours[15] && hours[19] > hours[15], "{hours:?}");
    let (unserved, strangers): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM sales WHERE staff_id IS NULL), \
         (SELECT COUNT(*) FROM sales s JOIN staff m ON m.id = s.staff_id \
          WHERE m.store_id IS NULL OR m.store_id <> s.store_id)",
    )
    .fetch_one(pool)
    .await
    .expect("staff");
    assert_eq!((unserved, strangers), (0, 0));
    let early: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sales s JOIN customers c ON c.id = s.customer_id \
         WHERE s.sold_at_ms < c.created_at",
    )
    .fetch_one(pool)
    .await
    .expect("joining");
    assert_eq!(early, 0, "no purchase before the customer was created");
    let created: Vec<(i64,)> = sqlx::query_as("SELECT created_at FROM customers")
        .fetch_all(pool)
        .await
        .expect("created");
    let months: std::collections::BTreeSet<Date> = created
        .iter()
        .map(|(at,)| {
            let at = jiff::Timestamp::from_millisecond(*at).expect("time");
            tz.to_datetime(at).date().first_of_month()
        })
        .collect();
    assert!(
        months.len() >= 24,
        "customers joined in {} months",
        months.len()
    );
}

/// The purchase follow-up answered all along: CSAT and NPS answers in most months.
async fn surveys(app: &App) {
    let survey = app
        .surveys()
        .await
        .expect("surveys")
        .into_iter()
        .find(|v| v.row.name == "购物满意度回访")
        .expect("purchase survey");
    let answers: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT kind, score, answered_at FROM survey_answers \
         WHERE survey_id = $1 AND score IS NOT NULL",
    )
    .bind(survey.row.id)
    .fetch_all(app.db().pool())
    .await
    .expect("answers");
    let tz = app.config().timezone();
    let mut months = std::collections::BTreeSet::new();
    for (kind, score, at) in &answers {
        match kind.as_str() {
            "csat" => assert!((1..=5).contains(score)),
            "nps" => assert!((0..=10).contains(score)),
            other => panic!("{other}"),
        }
        let at = jiff::Timestamp::from_millisecond(*at).expect("time");
        months.insert(tz.to_datetime(at).date().first_of_month());
    }
    assert!(answers.iter().any(|a| a.0 == "csat") && answers.iter().any(|a| a.0 == "nps"));
    assert!(months.len() >= 20, "answers in {} months", months.len());
}
