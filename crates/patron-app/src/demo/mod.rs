//! Demo data for `patron demo`: a small chain that shows every capability built so far, with
//! two years of trade behind it. It only fills an empty database, so restarting the demo
//! keeps what people did in it.

mod customers;
mod members;
mod orders;
mod sales;
mod service;
mod surveys;
mod trade;

use crate::demo::customers::Dice;
use crate::staff::{FirstPassword, StaffInput};
use crate::{App, AppError, credentials};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use patron_domain::Role;

/// Three stores of a building-materials and home-goods chain, with their shares of its
/// trade: the flagship does about half.
const STORES: &[(&str, &str, f64)] = &[
    ("SH01", "上海徐汇旗舰店", 0.45),
    ("SH02", "上海浦东店", 0.30),
    ("HZ01", "杭州西湖店", 0.25),
];

/// (username, name, role, store index) — every role appears, store roles in every store.
const STAFF: &[(&str, &str, Role, Option<usize>)] = &[
    ("wang.min", "王敏", Role::Admin, None),
    ("chen.jing", "陈静", Role::Marketing, None),
    ("zhou.yang", "周洋", Role::Marketing, None),
    ("liu.qiang", "刘强", Role::StoreManager, Some(0)),
    ("zhao.lei", "赵磊", Role::StoreManager, Some(1)),
    ("sun.li", "孙丽", Role::StoreManager, Some(2)),
    ("li.na", "李娜", Role::SalesAssociate, Some(0)),
    ("zhang.wei", "张伟", Role::SalesAssociate, Some(0)),
    ("huang.ting", "黄婷", Role::SalesAssociate, Some(0)),
    ("wu.hao", "吴昊", Role::SalesAssociate, Some(1)),
    ("xu.fang", "徐芳", Role::SalesAssociate, Some(1)),
    ("zheng.kai", "郑凯", Role::SalesAssociate, Some(2)),
    ("he.xue", "何雪", Role::SalesAssociate, Some(2)),
    ("ma.jun", "马骏", Role::AfterSales, Some(0)),
    ("hu.bin", "胡斌", Role::AfterSales, Some(1)),
    ("guo.ping", "郭平", Role::AfterSales, Some(2)),
    ("qian.gong", "钱工", Role::AfterSales, Some(0)),
    ("lin.yan", "林燕", Role::DataClerk, Some(0)),
    ("luo.dan", "罗丹", Role::DataClerk, Some(1)),
    ("gao.feng", "高峰", Role::DataClerk, Some(2)),
    ("tang.hui", "唐慧", Role::SalesAssociate, Some(1)),
];

/// How many customers the demo starts with.
pub const DEMO_CUSTOMERS: usize = 2000;

/// What `seed` created, for the start-up message.
#[derive(Debug)]
pub struct DemoSeed {
    pub admin_username: String,
    /// A one-time password; its holder must change it at first sign-in.
    pub admin_password: String,
}

/// How much past trade the demo is seeded with: `patron demo` seeds two years, so every
/// report has a year earlier to compare with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoHistory {
    pub months: i8,
}

impl DemoHistory {
    pub const TWO_YEARS: DemoHistory = DemoHistory { months: 24 };
}

/// Fills an empty database with two years of trade; returns `None` if set-up was already done.
pub async fn seed(app: &App) -> Result<Option<DemoSeed>, AppError> {
    seed_with(app, DemoHistory::TWO_YEARS).await
}

/// Fills an empty database with `history` of trade (the same customers, staff, service desk
/// and orders; fewer sales); returns `None` if set-up was already done.
pub async fn seed_with(app: &App, history: DemoHistory) -> Result<Option<DemoSeed>, AppError> {
    if app.db.setup_done().await? {
        return Ok(None);
    }
    let mut store_ids = Vec::new();
    for (code, name, _) in STORES {
        store_ids.push(
            app.create_store(None, code, name, "Asia/Shanghai", None)
                .await?
                .id,
        );
    }
    let admin_password = credentials::random_token(10);
    let admin = StaffInput {
        username: "admin".into(),
        display_name: "系统管理员".into(),
        email: "admin@patron.local".into(),
        ..Default::default()
    };
    app.create_first_admin(&admin, &admin_password, true, None)
        .await?;
    let mut stores: Vec<DemoStore> = Vec::new();
    for ((code, _, share), id) in STORES.iter().zip(&store_ids) {
        stores.push(DemoStore {
            id: *id,
            code: code.to_string(),
            staff: Vec::new(),
            sellers: Vec::new(),
            tz: app.store_timezone(*id).await?,
            share: *share,
        });
    }
    for (username, name, role, store) in STAFF {
        let input = StaffInput {
            username: (*username).into(),
            display_name: (*name).into(),
            email: format!("{username}@patron.local"),
            role: role.as_str().into(),
            store_id: store.map(|i| store_ids[i]),
        };
        // Nobody knows these passwords: an admin resets or invites staff to hand accounts out.
        let id = app
            .create_staff(
                None,
                &input,
                FirstPassword::Set(credentials::random_token(16)),
                None,
            )
            .await?;
        let Some(store) = store.map(|i| &mut stores[i]) else {
            continue;
        };
        // Associates ring up most sales; the manager helps at busy times.
        match role {
            Role::SalesAssociate => {
                store.staff.push(id);
                store.sellers.push((id, 4));
            }
            Role::StoreManager => {
                store.staff.push(id);
                store.sellers.push((id, 1));
            }
            _ => {}
        }
    }
    // The trade up to yesterday (two years for `patron demo`), in each store's time zone.
    let days: Vec<Vec<trade::TradeDay>> = stores
        .iter()
        .map(|s| {
            let (first, last) = s.window(app.now(), history);
            trade::days(first, last)
        })
        .collect();
    let plan = members::plan(DEMO_CUSTOMERS, &stores, &days, &mut Dice(20_261_125));
    let joined = crate::demo::customers::seed(app, &stores, &plan).await?;
    let customers: Vec<(i64, i64)> = joined
        .iter()
        .map(|(id, ix)| (*id, stores[plan[*ix].store].id))
        .collect();
    let members: Vec<(i64, &members::Joining)> =
        joined.iter().map(|(id, ix)| (*id, &plan[*ix])).collect();
    let surveyed = crate::demo::sales::seed(app, &stores, &days, &members).await?;
    // Classes from the two years of sales, and the follow-up tasks they call for, so the
    // lists and the classes have something to show on the first visit.
    app.reclassify(app.now()).await?;
    app.plan_followups(app.now()).await?;
    // Churn scores for the warning list, and a win-back message and playbook to act on it.
    app.score_churn(app.now()).await?;
    seed_winback(app).await?;
    crate::demo::service::seed(app, &customers).await?;
    crate::demo::surveys::seed(app, &customers, &surveyed).await?;
    crate::demo::orders::seed(app, &customers).await?;
    for (i, id) in store_ids.iter().enumerate() {
        app.create_api_key(None, *id, &format!("收银台 {}", i + 1), None)
            .await?;
    }
    Ok(Some(DemoSeed {
        admin_username: "admin".into(),
        admin_password,
    }))
}

/// A demo store as the seeders use it.
pub(crate) struct DemoStore {
    pub id: i64,
    pub code: String,
    /// The manager and sales associates, who own customers.
    pub staff: Vec<i64>,
    /// Who rings up sales, with weights.
    pub sellers: Vec<(i64, usize)>,
    pub tz: TimeZone,
    /// The store's share of the chain's trade.
    pub share: f64,
}

impl DemoStore {
    /// The days of `history` up to yesterday, local: (first, last).
    fn window(&self, now: Timestamp, history: DemoHistory) -> (Date, Date) {
        let today = self.tz.to_datetime(now).date();
        let last = today.yesterday().unwrap_or(today);
        let first = today
            .checked_sub(jiff::Span::new().months(history.months))
            .unwrap_or(last);
        (first, last)
    }

    /// A local time on `date`, as an instant.
    pub(crate) fn at(&self, date: Date, hour: i8, minute: i8, second: i8) -> Option<Timestamp> {
        date.at(hour, minute, second, 0)
            .to_zoned_datetime(self.tz.clone())
            .ok()
            .map(|z| z.timestamp())
    }

    /// A moment of `day` while the store is open, busy hours likelier.
    pub(crate) fn during(&self, d: &mut Dice, day: &trade::TradeDay) -> Option<Timestamp> {
        let hour = trade::hour(d, day.date);
        self.at(day.date, hour, d.below(60) as i8, d.below(60) as i8)
    }

    /// Who rings up a sale.
    pub(crate) fn seller(&self, d: &mut Dice) -> Option<i64> {
        let total: usize = self.sellers.iter().map(|(_, w)| w).sum();
        let mut roll = d.below(total.max(1));
        for (id, w) in &self.sellers {
            if roll < *w {
                return Some(*id);
            }
            roll -= w;
        }
        None
    }
}

/// A win-back SMS template and a playbook (a call and a message) for the demo's warning list.
async fn seed_winback(app: &App) -> Result<(), AppError> {
    let actor = patron_domain::Actor::cli("demo");
    let mut rules = app.message_rules().await?;
    rules.sms_signature = "好家居".into();
    app.save_message_rules(&actor, &rules).await?;
    app.save_message_template(
        &actor,
        patron_store::Scope::Chain,
        &crate::messages::TemplateForm {
            name: "winback".into(),
            channel: "sms".into(),
            language: "zh-CN".into(),
            marketing: true,
            subject: String::new(),
            body: "{{ name }}，好久不见！{{ store }}为您准备了回店礼，期待您再来。".into(),
            provider_template: "SMS_DEMO_1".into(),
        },
    )
    .await?;
    app.create_playbook(
        &actor,
        patron_store::Scope::Chain,
        &crate::care::churn::PlaybookForm {
            name: "久未到店回访".into(),
            min_score: 50,
            make_task: true,
            message_template: "winback".into(),
            control_percent: 10,
            cooldown_days: 90,
            ..Default::default()
        },
    )
    .await?;
    // A shared segment: key customers, or anyone who bought in the last month.
    let segment = app
        .db
        .save_segment(
            None,
            None,
            "重要客户或近30天到店",
            r#"["class=key","recent_days=30"]"#,
            None,
            app.now(),
        )
        .await?;
    // A campaign on the calendar: the segment gets a call in three weeks.
    app.create_playbook(
        &actor,
        patron_store::Scope::Chain,
        &crate::care::churn::PlaybookForm {
            name: "老客回馈月".into(),
            min_score: 0,
            make_task: true,
            cooldown_days: 30,
            segment_id: Some(segment),
            run_on: app.today().checked_add(jiff::Span::new().days(21)).ok(),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}
