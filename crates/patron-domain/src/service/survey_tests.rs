use super::survey::*;

const BUILDER: &str = "csat: 您对这次服务满意吗？\n\n nps：您有多大可能向朋友推荐本店？\n\
    single: 您是怎么知道我们的？ | 朋友介绍 | 小区广告 | 路过\n\
    multi: 您还想买哪些？ | 地板 | 瓷砖 | 橱柜\ntext: 还有什么想告诉我们的？";

#[test]
fn builder_lines_read_back_the_same() {
    let q = parse_questions(BUILDER).expect("valid survey");
    assert_eq!(q.len(), 5);
    assert_eq!(q[1].kind, QuestionKind::Nps);
    assert_eq!(q[2].options, ["朋友介绍", "小区广告", "路过"]);
    assert_eq!(parse_questions(&render_questions(&q)), Ok(q));
}

#[test]
fn builder_refuses_what_is_not_a_question() {
    let err = |t: &str| parse_questions(t).err().map(|e| e.key);
    assert_eq!(err(""), Some("error.survey.questions"));
    assert_eq!(err("rating: 好不好"), Some("error.survey.questions"));
    assert_eq!(err("csat:"), Some("error.survey.questions"));
    assert_eq!(
        err("single: 选一个 | 只有一项"),
        Some("error.survey.options")
    );
    assert_eq!(err("single: 重复 | 甲 | 甲"), Some("error.survey.options"));
    assert_eq!(err("csat: 满意吗 | 是 | 否"), Some("error.survey.options"));
    let many = "text: 问\n".repeat(MAX_QUESTIONS + 1);
    assert_eq!(err(&many), Some("error.survey.questions"));
}

#[test]
fn answers_are_checked_question_by_question() {
    let q = parse_questions(BUILDER).expect("valid survey");
    let form = |answers: Vec<Vec<&'static str>>| {
        check_answers(&q, move |i| answers.get(i).cloned().unwrap_or_default())
    };
    let ok = form(vec![
        vec!["4"],
        vec!["9"],
        vec!["1"],
        vec!["2", "0", "2"],
        vec![" 送货很快 "],
    ])
    .expect("valid answers");
    assert_eq!(
        ok,
        vec![
            Answer::Score(4),
            Answer::Score(9),
            Answer::Choices(vec![1]),
            Answer::Choices(vec![0, 2]),
            Answer::Text("送货很快".into())
        ]
    );
    let field = |answers| form(answers).err().map(|e| (e.field, e.key));
    assert_eq!(
        field(vec![vec!["6"]]),
        Some(("q0", "error.survey.score")),
        "CSAT is 1 to 5"
    );
    assert_eq!(
        field(vec![vec!["5"], vec![]]),
        Some(("q1", "error.survey.score")),
        "a score must be given"
    );
    assert_eq!(
        field(vec![vec!["5"], vec!["10"], vec!["0", "1"]]),
        Some(("q2", "error.survey.choice")),
        "a single choice is one"
    );
    assert_eq!(
        field(vec![vec!["5"], vec!["10"], vec!["0"], vec!["3"]]),
        Some(("q3", "error.survey.choice")),
        "no such option"
    );
    let blank = form(vec![vec!["5"], vec!["0"], vec!["0"], vec!["1"], vec!["  "]])
        .expect("free text may stay blank");
    assert_eq!(blank[4], Answer::Blank);
}

#[test]
fn nps_and_csat_figures() {
    // 3 promoters, 2 passives, 5 detractors: 30% - 50% = -20.
    let n = nps(&[10, 9, 9, 8, 7, 6, 5, 3, 0, 6]).expect("answers");
    assert_eq!(n.count, 10);
    assert!((n.nps - -20.0).abs() < 1e-9);
    let c = csat(&[5, 4, 3, 1]).expect("answers");
    assert!((c.average - 3.25).abs() < 1e-9);
    assert!((c.satisfied_percent - 50.0).abs() < 1e-9);
    assert_eq!(csat(&[]), None);
}
