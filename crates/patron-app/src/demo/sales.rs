//! The demo's product list and a year of sales for its customers, so the customer page shows
//! purchases, points with expiry dates and tiers reached. Deterministic, like the customers.

use crate::demo::customers::Dice;
use crate::sales::history::PastSale;
use crate::{App, AppError};
use jiff::SignedDuration;
use patron_domain::sales::LineInput;
use patron_store::sales::catalog::ProductRow;

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
    ("PA-LTX-5L", "净味乳胶漆 5L", "paint", "立邦", 45_800),
    ("PA-PRM-5L", "抗碱底漆 5L", "paint", "多乐士", 29_800),
    ("LI-PNL-36", "LED 平板灯 36W", "light", "欧普", 19_900),
    ("LI-CEL-01", "客厅吸顶灯", "light", "雷士", 89_900),
    (
        "HW-HNG-10",
        "静音铰链（10 只装）",
        "hardware",
        "百隆",
        12_900,
    ),
    ("HW-LCK-01", "智能门锁", "hardware", "凯迪仕", 199_900),
    ("SV-INS-01", "上门安装服务", "service", "门店", 20_000),
    ("SV-MEA-01", "上门测量服务", "service", "门店", 5_000),
];

pub(crate) async fn seed(
    app: &App,
    customers: &[(i64, i64)],
    stores: &[(i64, String, Vec<i64>)],
) -> Result<usize, AppError> {
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
    let tz = app.config.timezone();
    let now = app.now();
    let mut d = Dice(20_261_124);
    let mut sales = Vec::new();
    let mut seq = 0;
    for (customer_id, store_id) in customers {
        let count = match d.below(100) {
            0..30 => 0,
            30..60 => 1 + d.below(2),
            60..85 => 3 + d.below(4),
            _ => 7 + d.below(9),
        };
        let code = stores
            .iter()
            .find(|(id, _, _)| id == store_id)
            .map_or("S", |(_, c, _)| c.as_str());
        for _ in 0..count {
            seq += 1;
            // Any moment of the past year during opening hours (10:00 to 21:00 local).
            let day = now - SignedDuration::from_hours(24 * (1 + d.below(364) as i64));
            let day = tz.to_datetime(day).date();
            let at = day
                .at(10 + d.below(11) as i8, d.below(60) as i8, 0, 0)
                .to_zoned_datetime(tz.clone())
                .map(|z| z.timestamp())
                .unwrap_or(now);
            let lines = (0..1 + d.below(4))
                .map(|_| {
                    let (sku, name, category, _, price) = *d.pick(PRODUCTS);
                    let quantity = if category == "tile" || category == "floor" {
                        10 + d.below(60) as i64
                    } else {
                        1 + d.below(3) as i64
                    };
                    let discount = if d.chance(20) {
                        quantity * price / 20
                    } else {
                        0
                    };
                    LineInput {
                        sku: sku.into(),
                        name: name.into(),
                        category: category.into(),
                        quantity,
                        unit_price_fen: price,
                        discount_fen: discount,
                    }
                })
                .collect();
            sales.push(PastSale {
                store_id: *store_id,
                tz: tz.clone(),
                receipt_no: format!("{code}-{}-{seq:06}", day.strftime("%Y%m%d")),
                customer_id: Some(*customer_id),
                sold_at: at,
                lines,
            });
        }
    }
    let (written, _) = app.record_past_sales(sales, true, &|_| {}).await?;
    // Points from early in the year may have expired since: run the sweep as the job would.
    app.db.expire_points(now).await?;
    seed_mall(app).await?;
    Ok(written)
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
