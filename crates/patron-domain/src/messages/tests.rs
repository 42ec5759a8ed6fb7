use super::*;
use jiff::civil::date;

#[test]
fn sms_text_carries_the_signature_and_the_opt_out_on_marketing() {
    assert_eq!(
        sms_text("好家居", "王女士，本周六会员日全场双倍积分。", true),
        "【好家居】王女士，本周六会员日全场双倍积分。 拒收请回复R"
    );
    assert_eq!(
        sms_text("好家居", "您的订单已送达。", false),
        "【好家居】您的订单已送达。"
    );
    // A template that already says it is not given a second note.
    assert_eq!(
        sms_text("好家居", "周末特惠，拒收请回复R", true),
        "【好家居】周末特惠，拒收请回复R"
    );
}

#[test]
fn sms_parts_follow_the_70_and_67_rule() {
    let of = |n: usize| sms_parts(&"字".repeat(n));
    assert_eq!(of(0), (0, 0));
    assert_eq!(of(1), (1, 1));
    assert_eq!(of(70), (70, 1));
    assert_eq!(of(71), (71, 2));
    assert_eq!(of(134), (134, 2));
    assert_eq!(of(135), (135, 3));
    // Latin letters and digits count one each, like Chinese characters.
    assert_eq!(sms_parts("【A】123"), (6, 1));
}

#[test]
fn opt_out_replies_are_recognised_and_other_replies_are_not() {
    for yes in ["R", "r", " R ", "TD", "td。", "退订", "拒收", "T", "N!"] {
        assert!(is_opt_out_reply(yes), "{yes}");
    }
    for no in ["好的", "谢谢", "RR", "Return", "什么时候到货", ""] {
        assert!(!is_opt_out_reply(no), "{no}");
    }
}

#[test]
fn quiet_hours_across_midnight_release_at_the_next_end() {
    let q = MessageRules::default().quiet_hours();
    let at = |d: jiff::civil::Date, h: i8, m: i8| d.at(h, m, 0, 0);
    let day = date(2026, 11, 24);
    assert_eq!(q.release(at(day, 20, 59)), None);
    assert_eq!(
        q.release(at(day, 21, 0)),
        Some(at(date(2026, 11, 25), 9, 0))
    );
    assert_eq!(
        q.release(at(day, 23, 30)),
        Some(at(date(2026, 11, 25), 9, 0))
    );
    assert_eq!(q.release(at(day, 0, 5)), Some(at(day, 9, 0)));
    assert_eq!(q.release(at(day, 8, 59)), Some(at(day, 9, 0)));
    assert_eq!(q.release(at(day, 9, 0)), None);
    // The last day of a year rolls into the next.
    assert_eq!(
        q.release(at(date(2026, 12, 31), 22, 0)),
        Some(at(date(2027, 1, 1), 9, 0))
    );
}

#[test]
fn quiet_hours_within_a_day_and_switched_off() {
    let lunch = MessageRules {
        quiet_start: "12:00".into(),
        quiet_end: "14:00".into(),
        ..Default::default()
    }
    .check()
    .expect("valid");
    let day = date(2026, 11, 24);
    assert_eq!(
        lunch.release(day.at(13, 0, 0, 0)),
        Some(day.at(14, 0, 0, 0))
    );
    assert_eq!(lunch.release(day.at(22, 0, 0, 0)), None);
    let off = MessageRules {
        quiet_start: "09:00".into(),
        quiet_end: "09:00".into(),
        ..Default::default()
    }
    .check()
    .expect("valid");
    assert_eq!(off.release(day.at(3, 0, 0, 0)), None);
}

#[test]
fn rules_reject_bad_times_caps_and_signatures() {
    let bad = |r: MessageRules| r.check().map(|_| ()).unwrap_err().field;
    assert_eq!(
        bad(MessageRules {
            quiet_start: "25:00".into(),
            ..Default::default()
        }),
        "quiet_start"
    );
    assert_eq!(
        bad(MessageRules {
            quiet_end: "nine".into(),
            ..Default::default()
        }),
        "quiet_end"
    );
    assert_eq!(
        bad(MessageRules {
            max_per_day: 3,
            max_per_week: 2,
            ..Default::default()
        }),
        "max_per_week"
    );
    assert_eq!(
        bad(MessageRules {
            sms_signature: "【好家居】".into(),
            ..Default::default()
        }),
        "sms_signature"
    );
}

#[test]
fn caps_count_the_day_and_the_week() {
    let r = MessageRules::default();
    assert!(under_caps(&r, 0, 2));
    assert!(!under_caps(&r, 1, 1), "one a day");
    assert!(!under_caps(&r, 0, 3), "three a week");
    let none = MessageRules {
        max_per_day: 0,
        max_per_week: 0,
        ..Default::default()
    };
    assert!(under_caps(&none, 50, 500));
}

#[test]
fn marketing_consent_per_channel() {
    assert_eq!(
        Channel::Email.marketing_consent(),
        ConsentPurpose::MarketingEmail
    );
    assert_eq!(
        Channel::Sms.marketing_consent(),
        ConsentPurpose::MarketingSms
    );
    assert_eq!(Channel::Wechat.marketing_consent(), ConsentPurpose::Wechat);
    for c in Channel::ALL {
        assert_eq!(Channel::parse(c.as_str()), Some(c));
    }
}
