//! About 2,000 realistic demo customers: Chinese names, valid mobiles and ID numbers, varied
//! profiles, tags, owners and consents, a timeline for some, and a few dozen duplicates
//! waiting to be merged. Generated from a fixed seed, so every demo looks the same. Each is
//! created on the day they join (`members`), so new customers and cohorts show by month.

use crate::customers::sealing;
use crate::demo::DemoStore;
use crate::demo::members::Joining;
use crate::{App, AppError};
use patron_domain::Actor;
use patron_domain::customers::{
    ConsentChannel, ConsentPurpose, CustomerDraft, CustomerInput, Profile, archive_number,
};
use patron_domain::id_number::IdNumber;
use patron_store::Scope;
use patron_store::customers::{ConsentEvent, NewCustomer};

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "曾", "单",
    "欧阳", "诸葛", "解",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "霞", "平", "刚", "桂英", "建华", "晓东", "雨涵", "子轩", "欣怡", "浩然", "梓涵",
    "一诺",
];
const AREAS: &[(&str, &str)] = &[
    ("310104", "上海市徐汇区"),
    ("310115", "上海市浦东新区"),
    ("330106", "浙江省杭州市西湖区"),
    ("320102", "江苏省南京市玄武区"),
    ("110105", "北京市朝阳区"),
    ("440305", "广东省深圳市南山区"),
];
const STREETS: &[&str] = &[
    "漕溪北路",
    "南京西路",
    "世纪大道",
    "文三路",
    "中山北路",
    "延安西路",
];
const HOBBIES: &[&str] = &[
    "钓鱼",
    "烘焙",
    "跑步",
    "园艺",
    "茶艺",
    "摄影",
    "装修设计",
    "收藏",
];
const JOBS: &[(&str, &str)] = &[
    ("教师", "班主任"),
    ("工程师", "项目经理"),
    ("医生", "主治医师"),
    ("个体经营", "店主"),
    ("设计师", "设计总监"),
    ("公务员", "科员"),
];
const TAGS: &[&str] = &["VIP", "装修中", "老客户", "团购", "设计师推荐", "价格敏感"];
const PREFIXES: &[&str] = &[
    "138", "139", "137", "136", "135", "158", "159", "186", "188", "189", "150", "151",
];

/// A small deterministic generator (64-bit LCG): the demo needs variety, not secrecy.
pub(crate) struct Dice(pub(crate) u64);

impl Dice {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    /// A number in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        self.next() as f64 / (1u64 << 31) as f64
    }
}

fn id_number(d: &mut Dice, area: &str, birth: jiff::civil::Date, female: bool) -> Option<String> {
    let seq = d.below(99) * 10
        + if female {
            2 * d.below(5)
        } else {
            2 * d.below(5) + 1
        };
    let body = format!("{area}{}{seq:03}", birth.strftime("%Y%m%d"));
    "0123456789X"
        .chars()
        .map(|c| format!("{body}{c}"))
        .find(|n| IdNumber::parse(n, jiff::civil::date(2026, 1, 1)).is_ok())
}

/// Seeds a customer for each joining of `plan` (in time order), at its store, created when
/// they join. Returns `(customer id, index in plan)` of those written.
pub(crate) async fn seed(
    app: &App,
    stores: &[DemoStore],
    plan: &[Joining],
) -> Result<Vec<(i64, usize)>, AppError> {
    let count = plan.len();
    let mut d = Dice(20_261_123);
    let today = app.config.timezone().to_datetime(app.now()).date();
    let notice = app.config.customers.notice_version.clone();
    let format = app.config.customers.archive_format.clone();
    let mut news: Vec<NewCustomer> = Vec::new();
    let mut used_phones = std::collections::HashSet::new();
    let mut twins: Vec<(CustomerInput, usize)> = Vec::new();
    let first = app.db.allocate_ids("customers", count as i64).await?;
    let mut joined_at = Vec::new();
    for (i, joining) in plan.iter().enumerate() {
        let female = d.chance(55);
        let birth = jiff::civil::date(
            1950 + d.below(58) as i16,
            1 + d.below(12) as i8,
            1 + d.below(28) as i8,
        );
        let (area, city) = *d.pick(AREAS);
        let mut input = if i % 60 == 59 && !twins.is_empty() {
            // A duplicate: the same person registered again with another phone.
            let (twin, ix) = twins.swap_remove(0);
            let _ = ix;
            CustomerInput {
                other_phones: Vec::new(),
                ..twin
            }
        } else {
            let name = format!("{}{}", d.pick(SURNAMES), d.pick(GIVEN));
            let (job, title) = *d.pick(JOBS);
            CustomerInput {
                name,
                gender: if female { "female" } else { "male" }.into(),
                birthday: if d.chance(80) {
                    birth.to_string()
                } else {
                    String::new()
                },
                lunar_birthday: if d.chance(10) {
                    format!("{:02}-{:02}", 1 + d.below(12), 1 + d.below(29))
                } else {
                    String::new()
                },
                email: if d.chance(35) {
                    format!("user{i}@example.cn")
                } else {
                    String::new()
                },
                addresses: if d.chance(70) {
                    vec![format!(
                        "{city}{}{}号{}室",
                        d.pick(STREETS),
                        1 + d.below(300),
                        101 + d.below(20) * 100
                    )]
                } else {
                    Vec::new()
                },
                id_number: if d.chance(15) {
                    id_number(&mut d, area, birth, female).unwrap_or_default()
                } else {
                    String::new()
                },
                source: [
                    "checkout",
                    "membership_application",
                    "vip_card_form",
                    "event_sign_in",
                    "referral",
                    "online_form",
                ][d.below(6)]
                .into(),
                profile: Profile {
                    occupation: if d.chance(60) {
                        job.into()
                    } else {
                        String::new()
                    },
                    job_title: if d.chance(40) {
                        title.into()
                    } else {
                        String::new()
                    },
                    hobbies: if d.chance(50) {
                        d.pick(HOBBIES).to_string()
                    } else {
                        String::new()
                    },
                    clothing_size: if d.chance(30) {
                        ["S", "M", "L", "XL"][d.below(4)].into()
                    } else {
                        String::new()
                    },
                    preferred_channel: if d.chance(50) {
                        ["phone", "sms", "wechat"][d.below(3)].into()
                    } else {
                        String::new()
                    },
                    wechat: if d.chance(40) {
                        format!("wx_{i:05}")
                    } else {
                        String::new()
                    },
                    ..Default::default()
                },
                ..Default::default()
            }
        };
        let mobile = loop {
            let m = format!("{}{:08}", d.pick(PREFIXES), d.next() % 100_000_000);
            if used_phones.insert(m.clone()) {
                break m;
            }
        };
        input.mobile = mobile;
        if twins.len() < 40 && d.chance(3) && !input.birthday.is_empty() {
            twins.push((input.clone(), i));
        }
        let Ok(draft) = CustomerDraft::parse(&input, today) else {
            continue;
        };
        let store = &stores[joining.store];
        let (store_id, code, staff) = (&store.id, &store.code, &store.staff);
        let owner = (!staff.is_empty() && d.chance(75)).then(|| *d.pick(staff));
        let mut tags: Vec<String> = Vec::new();
        if d.chance(40) {
            tags.push(d.pick(TAGS).to_string());
        }
        let mut purposes = vec![ConsentPurpose::Service];
        if d.chance(55) {
            purposes.push(ConsentPurpose::MarketingSms);
        }
        if d.chance(30) {
            purposes.push(ConsentPurpose::Wechat);
        }
        if draft.id_number.is_some() {
            purposes.push(ConsentPurpose::IdNumber);
        }
        let id = first + i as i64;
        let row = sealing::write_row(&app.keys, id, *store_id, &draft, owner, tags);
        joined_at.push((i, joining.day, joining.at));
        let (format, code) = (format.clone(), code.clone());
        news.push(NewCustomer {
            row,
            archive: Box::new(move |seq| archive_number(&format, &code, seq)),
            consents: purposes
                .into_iter()
                .map(|p| ConsentEvent {
                    purpose: p.as_str().into(),
                    granted: true,
                    notice_version: notice.clone(),
                    channel: ConsentChannel::Counter.as_str().into(),
                })
                .collect(),
        });
    }
    let actor = Actor::system("demo");
    // One batch a day of joining, created at the day's first sign-up, all in one load.
    let mut load = app.db.begin_bulk_load().await?;
    let mut from = 0;
    while from < news.len() {
        let day = joined_at[from].1;
        let upto = from + joined_at[from..].iter().take_while(|j| j.1 == day).count();
        load.write(&actor, &news[from..upto], joined_at[from].2)
            .await?;
        from = upto;
    }
    load.finish().await?;
    let written: Vec<(i64, usize)> = joined_at
        .iter()
        .map(|(i, _, _)| (first + *i as i64, *i))
        .collect();
    // A timeline for the first customers, so the customer page shows one.
    for c in news.iter().take(40) {
        let input = crate::customers::InteractionInput {
            kind: ["visit", "call", "note"][c.row.id as usize % 3].into(),
            channel: "门店".into(),
            outcome: "了解了新品瓷砖".into(),
            note: "周末带家人再来看样板间".into(),
            at_ms: None,
        };
        app.add_interaction(&actor, Scope::Chain, c.row.id, c.row.owner_staff_id, &input)
            .await?;
    }
    Ok(written)
}
