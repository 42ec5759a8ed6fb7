//! The demo's products and two years of sales at every store, up to yesterday: members
//! buying as their habits say (`members`), walk-ins making up about a third of receipts, on
//! the days and hours `trade` shapes, each rung up by one of the store's sellers; a few
//! refunds days later. Written through the history path, so points, statistics and tiers
//! come out as the till would have left them. Deterministic, like the customers.

use crate::demo::DemoStore;
use crate::demo::customers::Dice;
use crate::demo::members::{Habit, Joining};
use crate::demo::trade::{MEMBER_DAY, MEMBER_DAY_PULL, TradeDay};
use crate::membership::loyalty::{Bonus, RefundPolicy};
use crate::sales::history::PastSale;
use crate::{App, AppError};
use jiff::Timestamp;
use patron_domain::sales::LineInput;
use patron_store::sales::catalog::ProductRow;
use patron_store::sales::refund::{NewRefund, RefundLine, RefundRefused};

/// (sku, name, category, brand, price in fen) of a building-materials and home-goods shop.
const PRODUCTS: &[(&str, &str, &str, &str, i64)] = &[
    (
        "TL-6060-01",
        "抛光砖 600×600 米白",
        "tile",
        "马可波罗",
        8_900,
    ),
    ("TL-8080-02", "大理石瓷砖 800×800", "tile", "东鹏", 15_800),
    ("TL-3060-03", "厨卫墙砖 300×600", "tile", "诺贝尔", 4_500),
    ("FL-OAK-12", "橡木复合地板 12mm", "floor", "圣象", 16_800),
    ("FL-SPC-05", "SPC 石塑地板", "floor", "大自然", 9_900),
    ("BA-TOI-01", "智能马桶一体机", "bath", "九牧", 329_900),
    ("BA-SHW-02", "恒温花洒套装", "bath", "恒洁", 159_900),
    ("BA-BAS-03", "陶瓷台盆柜 80cm", "bath", "箭牌", 219_900),
    ("BA-FAU-04", "厨房冷热龙头", "bath", "九牧", 39_900),
    ("PA-LTX-5L", "净味乳胶漆 5L", "paint", "立邦", 45_800),
    ("PA-PRM-5L", "抗碱底漆 5L", "paint", "多乐士", 29_800),
    ("PA-ROL-01", "滚筒刷套装", "paint", "多乐士", 3_500),
    ("LI-PNL-36", "LED 平板灯 36W", "light", "欧普", 19_900),
    ("LI-CEL-01", "客厅吸顶灯", "light", "雷士", 89_900),
    ("LI-BLB-09", "LED 球泡灯 9W", "light", "欧普", 1_590),
    (
        "HW-HNG-10",
        "静音铰链（10 只装）",
        "hardware",
        "百隆",
        12_900,
    ),
    ("HW-LCK-01", "智能门锁", "hardware", "凯迪仕", 199_900),
    ("HW-SIL-01", "中性硅酮玻璃胶", "hardware", "汉高", 2_800),
    ("SV-INS-01", "上门安装服务", "service", "门店", 20_000),
    ("SV-MEA-01", "上门测量服务", "service", "门店", 5_000),
];

/// About this share of receipts are walk-ins (no member named at the till).
const WALK_IN_PERCENT: f64 = 38.0;

/// One refund in about this many receipts, some days after the sale.
const REFUND_ONE_IN: usize = 90;

/// One member's purchase in about this many is followed by a satisfaction survey.
const SURVEY_ONE_IN: usize = 60;

const REFUND_REASONS: [&str; 4] = [
    "尺寸不合适",
    "颜色与样板不符",
    "多买了，退回未拆封的",
    "到货破损",
];

/// A member's purchase that was followed by a survey: who, where, when.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Surveyed {
    pub customer_id: i64,
    pub store_id: i64,
    pub at: Timestamp,
}

/// Who is buying, for what goes in the basket.
#[derive(Debug, Clone, Copy)]
enum Buyer {
    WalkIn,
    /// A member, `age` days after joining.
    Member(Habit, i64),
}

/// A receipt before it has its number.
struct Draft {
    at: Timestamp,
    customer_id: Option<i64>,
    staff_id: Option<i64>,
    lines: Vec<LineInput>,
}

/// A refund to write once the sales are: `(store, receipt, refund number, when, lines)`.
struct PlannedRefund {
    store: usize,
    receipt_no: String,
    refund_no: String,
    at: Timestamp,
    lines: Vec<RefundLine>,
    reason: &'static str,
}

/// Writes the products and the sales of `members` (`(customer id, joining)`), at `stores`
/// over `days` (`days[i]`: store i's days of trade). Returns the purchases followed by a
/// survey.
pub(crate) async fn seed(
    app: &App,
    stores: &[DemoStore],
    days: &[Vec<TradeDay>],
    members: &[(i64, &Joining)],
) -> Result<Vec<Surveyed>, AppError> {
    let rows: Vec<ProductRow> = PRODUCTS
        .iter()
        .map(|(sku, name, category, brand, price)| ProductRow {
            sku: (*sku).into(),
            name: (*name).into(),
            category_code: (*category).into(),
            brand: (*brand).into(),
            price_fen: *price,
        })
        .collect();
    app.db.upsert_products(&rows, app.now()).await?;
    seed_programme(app, days).await?;
    let mut d = Dice(20_261_124);
    let mut sales = Vec::new();
    let mut refunds = Vec::new();
    let mut surveyed = Vec::new();
    for (s, store) in stores.iter().enumerate() {
        let mine: Vec<(i64, &Joining)> = members
            .iter()
            .filter(|(_, j)| j.store == s)
            .map(|(id, j)| (*id, *j))
            .collect();
        let mut drafts = member_drafts(&mut d, store, &days[s], &mine);
        add_walk_ins(&mut d, store, &days[s], &mut drafts);
        for (day, mut list) in days[s].iter().zip(drafts) {
            list.sort_by_key(|r| r.at);
            let date = day.date.strftime("%Y%m%d").to_string();
            for (n, r) in list.into_iter().enumerate() {
                let receipt_no = format!("{}-{date}-{:04}", store.code, n + 1);
                if d.below(REFUND_ONE_IN) == 0
                    && let Some(refund) =
                        plan_refund(&mut d, s, store, &days[s], day, &receipt_no, &r)
                {
                    refunds.push(refund);
                }
                if let Some(customer_id) = r.customer_id
                    && d.below(SURVEY_ONE_IN) == 0
                {
                    surveyed.push(Surveyed {
                        customer_id,
                        store_id: store.id,
                        at: r.at,
                    });
                }
                sales.push(PastSale {
                    store_id: store.id,
                    tz: store.tz.clone(),
                    receipt_no,
                    customer_id: r.customer_id,
                    staff_id: r.staff_id,
                    sold_at: r.at,
                    lines: r.lines,
                });
            }
        }
    }
    write_in_order(app, stores, sales, refunds).await?;
    seed_mall(app).await?;
    Ok(surveyed)
}

/// The programme's member day (double points on the 18th) and the 618 and 双十一 peaks
/// (points ×1.5) of every year the sales cover, so the points earned follow the calendar;
/// and tier thresholds at a renovation's scale (a bathroom alone costs ¥10,000).
async fn seed_programme(app: &App, days: &[Vec<TradeDay>]) -> Result<(), AppError> {
    let demo = patron_domain::audit::Actor::cli("demo");
    let mut settings = app.loyalty().await?.settings.clone();
    for (tier, spend) in settings
        .tiers
        .iter_mut()
        .skip(1)
        .zip([1_000_000, 5_000_000, 20_000_000])
    {
        tier.min_spend_fen = Some(spend);
    }
    settings.bonuses.push(Bonus {
        days: MEMBER_DAY.to_string(),
        multiplier_permille: 2000,
    });
    let years = days.iter().flatten().map(|t| t.date.year());
    let (Some(first), Some(last)) = (years.clone().min(), years.max()) else {
        return Ok(());
    };
    for y in first..=last {
        for (m, from, to) in [(6, 16, 18), (11, 9, 11)] {
            settings.bonuses.push(Bonus {
                days: format!("{y}-{m:02}-{from:02}..{y}-{m:02}-{to:02}"),
                multiplier_permille: 1500,
            });
        }
    }
    app.save_loyalty(&demo, settings).await
}

/// Every member's purchases at a store, day by day: the first at joining, then each day
/// with the chance their habit gives, scaled by the day's trade (and the member-day pull).
/// One list of receipts per day of `days`.
fn member_drafts(
    d: &mut Dice,
    store: &DemoStore,
    days: &[TradeDay],
    members: &[(i64, &Joining)],
) -> Vec<Vec<Draft>> {
    let mut out: Vec<Vec<Draft>> = days.iter().map(|_| Vec::new()).collect();
    // Members who joined before the day being drawn; `members` is in joining order.
    let mut joined = 0;
    for (i, day) in days.iter().enumerate() {
        while joined < members.len() && members[joined].1.day < day.date {
            joined += 1;
        }
        if !day.open() {
            continue;
        }
        for (id, j) in members[joined..]
            .iter()
            .take_while(|(_, j)| j.day == day.date)
        {
            let lines = basket(d, Buyer::Member(j.habit, 0), day);
            out[i].push(Draft {
                at: j.at,
                customer_id: Some(*id),
                staff_id: store.seller(d),
                lines,
            });
        }
        let pull = day.traffic * if day.member_day { MEMBER_DAY_PULL } else { 1.0 };
        for (id, j) in &members[..joined] {
            let age = (day.date - j.day).get_days().into();
            if d.unit() >= j.habit.daily_chance(age) * pull {
                continue;
            }
            if let Some(at) = store.during(d, day) {
                let lines = basket(d, Buyer::Member(j.habit, age), day);
                out[i].push(Draft {
                    at,
                    customer_id: Some(*id),
                    staff_id: store.seller(d),
                    lines,
                });
            }
        }
    }
    out
}

/// Walk-ins, in proportion to the members' receipts over the two years (so that they are
/// `WALK_IN_PERCENT` of all), spread over the days by their trade. Early on, when few
/// customers have joined yet, walk-ins are most of the trade.
fn add_walk_ins(d: &mut Dice, store: &DemoStore, days: &[TradeDay], drafts: &mut [Vec<Draft>]) {
    let members: usize = drafts.iter().map(Vec::len).sum();
    let traffic: f64 = days.iter().map(|t| t.traffic).sum();
    if traffic <= 0.0 {
        return;
    }
    let per_traffic = members as f64 * WALK_IN_PERCENT / (100.0 - WALK_IN_PERCENT) / traffic;
    for (day, list) in days.iter().zip(drafts.iter_mut()) {
        if !day.open() {
            continue;
        }
        let expected = per_traffic * day.traffic * (0.8 + 0.4 * d.unit());
        let count = (expected + d.unit()) as usize;
        for _ in 0..count {
            if let Some(at) = store.during(d, day) {
                list.push(Draft {
                    at,
                    customer_id: None,
                    staff_id: store.seller(d),
                    lines: basket(d, Buyer::WalkIn, day),
                });
            }
        }
    }
}

/// Categories a buyer picks from, with weights.
fn categories(buyer: Buyer) -> &'static [(&'static str, usize)] {
    match buyer {
        Buyer::WalkIn => &[
            ("hardware", 30),
            ("light", 25),
            ("paint", 20),
            ("bath", 12),
            ("tile", 6),
            ("service", 7),
        ],
        Buyer::Member(Habit::Renovation, 0..=35) => {
            &[("tile", 35), ("floor", 25), ("paint", 20), ("service", 20)]
        }
        Buyer::Member(Habit::Renovation, 36..=75) => &[
            ("bath", 40),
            ("hardware", 25),
            ("paint", 20),
            ("service", 15),
        ],
        Buyer::Member(Habit::Renovation, _) => &[("light", 45), ("hardware", 35), ("bath", 20)],
        Buyer::Member(Habit::Heavy, _) => {
            &[("tile", 35), ("floor", 25), ("paint", 25), ("hardware", 15)]
        }
        Buyer::Member(Habit::Once | Habit::Regular, _) => &[
            ("tile", 20),
            ("floor", 15),
            ("bath", 15),
            ("paint", 15),
            ("light", 15),
            ("hardware", 15),
            ("service", 5),
        ],
    }
}

/// A receipt's lines: products from the buyer's categories, in quantities that fit them
/// (square metres of tiles for a renovation, boxes by the dozen for a contractor), with the
/// day's discounts: 5 % on some lines any day, 10 % on many during promotions, 8 % on many
/// of a member's lines on the member day, and the contractors' 12 % on everything.
fn basket(d: &mut Dice, buyer: Buyer, day: &TradeDay) -> Vec<LineInput> {
    let (heavy, member) = match buyer {
        Buyer::WalkIn => (false, false),
        Buyer::Member(habit, _) => (habit == Habit::Heavy, true),
    };
    let count = match buyer {
        Buyer::WalkIn => 1 + usize::from(d.chance(35)),
        Buyer::Member(Habit::Heavy, _) => 2 + d.below(4),
        Buyer::Member(..) => 1 + d.below(3),
    };
    let weights = categories(buyer);
    let total: usize = weights.iter().map(|(_, w)| w).sum();
    let mut lines: Vec<LineInput> = Vec::with_capacity(count);
    for _ in 0..count {
        let mut roll = d.below(total);
        let category = weights
            .iter()
            .find(|(_, w)| {
                let hit = roll < *w;
                roll = roll.saturating_sub(*w);
                hit
            })
            .map_or("hardware", |(c, _)| c);
        let choices: Vec<_> = PRODUCTS.iter().filter(|p| p.2 == category).collect();
        let Some(&&(sku, name, category, _, price)) = choices.get(d.below(choices.len().max(1)))
        else {
            continue;
        };
        if lines.iter().any(|l| l.sku == sku) {
            continue;
        }
        let quantity = match (category, buyer) {
            ("service", _) => 1,
            ("tile" | "floor", Buyer::Member(Habit::Heavy, _)) => 80 + d.below(220),
            ("tile" | "floor", Buyer::Member(Habit::Renovation, _)) => 15 + d.below(60),
            ("tile" | "floor", Buyer::WalkIn) => 2 + d.below(10),
            ("tile" | "floor", _) => 4 + d.below(26),
            (_, Buyer::Member(Habit::Heavy, _)) => 4 + d.below(16),
            _ if price < 5_000 => 1 + d.below(6),
            _ => 1 + usize::from(d.chance(25)),
        } as i64;
        let percent = if heavy {
            12
        } else if day.promotion && d.chance(55) {
            10
        } else if member && day.member_day && d.chance(50) {
            8
        } else if d.chance(15) {
            5
        } else {
            0
        };
        lines.push(LineInput {
            sku: sku.into(),
            name: name.into(),
            category: category.into(),
            quantity,
            unit_price_fen: price,
            discount_fen: quantity * price * percent / 100,
        });
    }
    lines
}

/// A refund of receipt `receipt_no` (a draft of `day`) 1 to 14 days later on a day the
/// store is open and before today: whole, or part of its first line.
fn plan_refund(
    d: &mut Dice,
    s: usize,
    store: &DemoStore,
    days: &[TradeDay],
    day: &TradeDay,
    receipt_no: &str,
    sale: &Draft,
) -> Option<PlannedRefund> {
    let later = 1 + d.below(14) as i64;
    let when = days
        .iter()
        .skip_while(|t| (t.date - day.date).get_days() < later as i32)
        .find(|t| t.open())?;
    let at = store.during(d, when)?;
    let first = sale.lines.first()?;
    let lines = if d.chance(50) {
        Vec::new()
    } else {
        vec![RefundLine {
            line_no: 1,
            quantity: (first.quantity / 3).max(1),
        }]
    };
    Some(PlannedRefund {
        store: s,
        receipt_no: receipt_no.to_string(),
        refund_no: format!("TH-{receipt_no}"),
        at,
        lines,
        reason: REFUND_REASONS[d.below(REFUND_REASONS.len())],
    })
}

/// Writes the sales and refunds month by month, as they happened: a month's sales, its
/// refunds (of sales written by then), and the points that expired by its end, so the
/// ledger's expiries fall when they did. The rest expires at the final sweep, as the job
/// would do now.
async fn write_in_order(
    app: &App,
    stores: &[DemoStore],
    mut sales: Vec<PastSale>,
    mut refunds: Vec<PlannedRefund>,
) -> Result<(), AppError> {
    sales.sort_by_key(|s| s.sold_at);
    refunds.sort_by_key(|r| r.at);
    let programme = app.loyalty().await?;
    let allow_negative = programme.settings.refund_when_spent == RefundPolicy::Negative;
    let tz = app.config.timezone();
    let mut sales = sales.into_iter().peekable();
    let mut refunds = refunds.into_iter().peekable();
    while let Some(first) = sales.peek() {
        // The first moment of the next month.
        let month = tz.to_datetime(first.sold_at).date().first_of_month();
        let end = month
            .checked_add(jiff::Span::new().months(1))
            .ok()
            .and_then(|m| m.at(0, 0, 0, 0).to_zoned_datetime(tz.clone()).ok())
            .map_or(app.now(), |z| z.timestamp());
        let mut batch = Vec::new();
        while let Some(sale) = sales.next_if(|s| s.sold_at < end) {
            batch.push(sale);
        }
        app.record_past_sales(batch, true, &|_| {}).await?;
        while let Some(r) = refunds.next_if(|r| r.at < end) {
            let store = &stores[r.store];
            let refund = NewRefund {
                store_id: store.id,
                refund_no: r.refund_no,
                receipt_no: r.receipt_no,
                lines: r.lines,
                reason: r.reason.into(),
                till_name: "demo".into(),
                actor_name: "demo".into(),
                recorded_at: r.at,
                calendar: crate::sales::calendar(r.at, &store.tz),
                allow_negative,
            };
            // One the programme refuses (points already spent, under a blocking policy) is
            // left out.
            if let Err(RefundRefused::Store(e)) =
                app.db.record_refund(&refund, &programme.ladder, None).await
            {
                return Err(e.into());
            }
        }
        if end < app.now() {
            app.db.expire_points(end).await?;
        }
    }
    app.db.expire_points(app.now()).await?;
    Ok(())
}

/// A small points mall: goods with and without a cash top-up, and a coupon as a reward.
async fn seed_mall(app: &App) -> Result<(), AppError> {
    let demo = patron_domain::audit::Actor::cli("demo");
    let template = app
        .create_coupon_template(
            &demo,
            patron_store::Scope::Chain,
            &crate::membership::coupons::TemplateInput {
                name: "满500减50".into(),
                amount_fen: Some(5_000),
                min_spend_fen: 50_000,
                valid_days: 60,
                ..Default::default()
            },
        )
        .await?;
    // Gold and diamond members get a birthday-month coupon, diamond members points too.
    let birthday = app
        .create_coupon_template(
            &demo,
            patron_store::Scope::Chain,
            &crate::membership::coupons::TemplateInput {
                name: "生日月满200减30".into(),
                amount_fen: Some(3_000),
                min_spend_fen: 20_000,
                birthday_month: true,
                valid_days: 45,
                ..Default::default()
            },
        )
        .await?;
    let mut settings = app.loyalty().await?.settings.clone();
    for tier in settings.tiers.iter_mut().skip(2) {
        tier.birthday_coupon_template = Some(birthday);
    }
    if let Some(top) = settings.tiers.last_mut() {
        top.birthday_points = 500;
    }
    app.save_loyalty(&demo, settings).await?;
    let rewards = [
        ("304不锈钢保温杯", 3_000, 0, Some(50), Some(2), None),
        ("收纳整理箱三件套", 5_000, 2_000, Some(30), Some(1), None),
        ("满500减50 券", 2_000, 0, None, Some(3), Some(template)),
    ];
    for (name, points, cash, stock, limit, coupon) in rewards {
        let input = crate::membership::mall::RewardInput {
            name: name.into(),
            description: String::new(),
            coupon_template_id: coupon,
            points_price: points,
            cash_fen: cash,
            stock,
            per_member_limit: limit,
            valid_from: app.now(),
            valid_until: None,
        };
        app.create_reward(&demo, patron_store::Scope::Chain, &input)
            .await?;
    }
    Ok(())
}
