//! How many tries signing in gets: the second factor's own counter, locks per account and
//! address with back-off, a per-account ceiling that never shuts the owner out, the client
//! address behind trusted proxies, and parallel guesses that cannot pass a limit.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, staff, start, store};
use jiff::SignedDuration;
use patron_domain::totp;

fn code_now(secret_b32: &str, now: jiff::Timestamp) -> String {
    let secret = data_encoding::BASE32_NOPAD
        .decode(secret_b32.replace(' ', "").as_bytes())
        .expect("base32");
    format!(
        "{:06}",
        totp::code_for_step(&secret, totp::step_at(now.as_second()))
    )
}

/// A code that is not the current one (nor one step either side).
fn wrong_code(right: &str) -> String {
    let n: u32 = right.parse().expect("digits");
    format!("{:06}", (n + 500_000) % 1_000_000)
}

/// Signs `username` in with a TOTP authenticator enrolled; returns its secret.
async fn enrolled(s: &crate::harness::Server, username: &str) -> String {
    let c = Client::new(&s.base);
    assert_eq!(c.login(username, PASSWORD).await.location, "/account/enrol");
    let page = c.get("/account/enrol").await;
    let start = page.body.find("id=\"totp-secret\">").expect("secret") + 17;
    let secret = page.body[start..]
        .split('<')
        .next()
        .expect("secret")
        .to_string();
    let done = c
        .post(
            "/account/enrol",
            &[("code", &code_now(&secret, s.app.now()))],
        )
        .await;
    assert_eq!(done.location, "/console?ok=totp_enabled");
    c.get("/console").await;
    c.post("/logout", &[]).await;
    // The enrolment code's step is used; the next sign-in needs a later one.
    s.clock.advance(SignedDuration::from_secs(60));
    secret
}

/// The lock e-mails queued for one account, subject and body opened (the outbox seals them).
async fn lock_mails(s: &crate::harness::Server, staff_id: i64) -> Vec<String> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM outbox WHERE purpose = 'staff_totp_locked' AND staff_id = $1",
    )
    .bind(staff_id)
    .fetch_all(s.app.db().pool())
    .await
    .expect("outbox");
    s.app
        .outbox_letters("pending", 100)
        .await
        .expect("letters")
        .into_iter()
        .filter(|l| ids.contains(&l.id))
        .map(|l| format!("{}\n{}", l.subject, l.body))
        .collect()
}

async fn second_factor_has_its_own_counter_and_tells_the_owner(kind: Kind) {
    let Some(s) = start(kind, |c| {
        c.security.totp_required_roles = vec!["store_manager".into()]
    })
    .await
    else {
        return;
    };
    let st = store(&s.app, "SH01").await;
    let id = staff(&s.app, "liu.qiang", "store_manager", Some(st)).await;
    let secret = enrolled(&s, "liu.qiang").await;
    let c = Client::new(&s.base);
    // Password, 4 wrong codes, the password again: the right password does not reset the
    // second factor's count, so the fifth wrong code locks.
    assert_eq!(c.login("liu.qiang", PASSWORD).await.location, "/login/totp");
    c.get("/login/totp").await;
    let wrong = wrong_code(&code_now(&secret, s.app.now()));
    for _ in 0..4 {
        let r = c.post("/login/totp", &[("code", &wrong)]).await;
        assert_eq!(r.status, 200);
        assert!(r.body.contains("验证码不正确"));
    }
    assert!(
        lock_mails(&s, id).await.is_empty(),
        "no mail before the lock"
    );
    // (From another browser: this one's half-finished session is ended by signing in again.)
    let c = Client::new(&s.base);
    assert_eq!(c.login("liu.qiang", PASSWORD).await.location, "/login/totp");
    c.get("/login/totp").await;
    let fifth = c.post("/login/totp", &[("code", &wrong)]).await;
    assert!(fifth.body.contains("验证码不正确"));
    let right = code_now(&secret, s.app.now());
    let locked = c.post("/login/totp", &[("code", &right)]).await;
    assert_eq!(locked.status, 429, "the right code is refused while locked");
    assert!(locked.body.contains("尝试次数过多"));
    assert_eq!(c.get("/console").await.location, "/login/totp");
    // The owner is told once, by e-mail, in words that carry no secret.
    let mails = lock_mails(&s, id).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].contains("有人知道您的密码") && mails[0].contains("someone knows"));
    let body = &mails[0];
    assert!(!body.contains(PASSWORD) && !body.contains(&wrong) && !body.contains(&secret));
    let audit = crate::harness::audit(&s.app, "auth.totp", "denied").await;
    assert!(audit.iter().any(|r| r.detail == "locked"));
    // 15 minutes later the right code works again.
    s.clock.advance(SignedDuration::from_mins(16));
    let ok = c
        .post("/login/totp", &[("code", &code_now(&secret, s.app.now()))])
        .await;
    assert_eq!(ok.location, "/console");
}
both!(second_factor_has_its_own_counter_and_tells_the_owner);

async fn a_right_code_starts_the_count_again(kind: Kind) {
    let Some(s) = start(kind, |c| {
        c.security.totp_required_roles = vec!["store_manager".into()]
    })
    .await
    else {
        return;
    };
    let st = store(&s.app, "SH01").await;
    let id = staff(&s.app, "liu.qiang", "store_manager", Some(st)).await;
    let secret = enrolled(&s, "liu.qiang").await;
    // Four typos, then the right code: the owner is in.
    let c = Client::new(&s.base);
    assert_eq!(c.login("liu.qiang", PASSWORD).await.location, "/login/totp");
    c.get("/login/totp").await;
    let wrong = wrong_code(&code_now(&secret, s.app.now()));
    for _ in 0..4 {
        assert_eq!(c.post("/login/totp", &[("code", &wrong)]).await.status, 200);
    }
    let right = code_now(&secret, s.app.now());
    assert_eq!(
        c.post("/login/totp", &[("code", &right)]).await.location,
        "/console"
    );
    // Four more typos at the next sign-in are four, not nine: no lock, no mail.
    s.clock.advance(SignedDuration::from_mins(1));
    let c = Client::new(&s.base);
    assert_eq!(c.login("liu.qiang", PASSWORD).await.location, "/login/totp");
    c.get("/login/totp").await;
    let wrong = wrong_code(&code_now(&secret, s.app.now()));
    for typo in 0..4 {
        let r = c.post("/login/totp", &[("code", &wrong)]).await;
        assert_eq!(r.status, 200, "typo {typo} after a right code");
        assert!(r.body.contains("验证码不正确"));
    }
    assert!(lock_mails(&s, id).await.is_empty());
}
both!(a_right_code_starts_the_count_again);

async fn parallel_codes_cannot_pass_the_limit(kind: Kind) {
    let Some(s) = start(kind, |c| {
        c.security.totp_required_roles = vec!["store_manager".into()]
    })
    .await
    else {
        return;
    };
    let st = store(&s.app, "SH01").await;
    let id = staff(&s.app, "liu.qiang", "store_manager", Some(st)).await;
    let secret = enrolled(&s, "liu.qiang").await;
    let c = std::sync::Arc::new(Client::new(&s.base));
    assert_eq!(c.login("liu.qiang", PASSWORD).await.location, "/login/totp");
    c.get("/login/totp").await;
    let wrong = wrong_code(&code_now(&secret, s.app.now()));
    let mut guesses = tokio::task::JoinSet::new();
    for _ in 0..16 {
        let (c, wrong) = (c.clone(), wrong.clone());
        guesses.spawn(async move { c.post("/login/totp", &[("code", &wrong)]).await.status });
    }
    let statuses = guesses.join_all().await;
    let checked = statuses.iter().filter(|s| **s == 200).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, refused), (5, 11), "{statuses:?}");
    assert_eq!(lock_mails(&s, id).await.len(), 1);
}
both!(parallel_codes_cannot_pass_the_limit);

/// A sign-in form post with its own double-submit token, as if through a proxy that wrote
/// `forwarded_for`. Returns the status.
async fn login_via(base: &str, forwarded_for: Option<&str>, username: &str, password: &str) -> u16 {
    let token = "proxytestcsrftoken0123";
    let mut req = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(format!("{base}/login"))
        .header("cookie", format!("patron_csrf={token}"))
        .form(&[
            ("username", username),
            ("password", password),
            ("_csrf", token),
        ]);
    if let Some(f) = forwarded_for {
        req = req.header("x-forwarded-for", f);
    }
    req.send().await.expect("POST /login").status().as_u16()
}

async fn client_address_comes_from_trusted_proxies_only(kind: Kind) {
    let Some(s) = start(kind, |c| {
        c.server.trusted_proxies = vec!["127.0.0.0/8".into(), "10.0.0.0/8".into()]
    })
    .await
    else {
        return;
    };
    let st = store(&s.app, "S01").await;
    staff(&s.app, "li.na", "sales_associate", Some(st)).await;
    for _ in 0..5 {
        assert_eq!(
            login_via(&s.base, Some("203.0.113.7"), "li.na", "wrong-password").await,
            401
        );
    }
    assert_eq!(
        login_via(&s.base, Some("203.0.113.7"), "li.na", PASSWORD).await,
        429,
        "the guessing address is locked"
    );
    // A client cannot escape by writing its own entry: the rightmost untrusted hop counts
    // (the internal proxy 10.1.2.3 is skipped as trusted).
    assert_eq!(
        login_via(
            &s.base,
            Some("198.51.100.1, 203.0.113.7, 10.1.2.3"),
            "li.na",
            PASSWORD
        )
        .await,
        429
    );
    // Another client behind the same proxy is not locked out.
    assert_eq!(
        login_via(&s.base, Some("198.51.100.9"), "li.na", PASSWORD).await,
        303
    );

    // Without trusted proxies the header is ignored: everyone here is 127.0.0.1.
    let Some(plain) = start(kind, |_| {}).await else {
        return;
    };
    let st = store(&plain.app, "S01").await;
    staff(&plain.app, "li.na", "sales_associate", Some(st)).await;
    for _ in 0..5 {
        assert_eq!(
            login_via(&plain.base, Some("203.0.113.7"), "li.na", "wrong-password").await,
            401
        );
    }
    assert_eq!(
        login_via(&plain.base, Some("198.51.100.9"), "li.na", PASSWORD).await,
        429,
        "a forged header does not make a new address"
    );
}
both!(client_address_comes_from_trusted_proxies_only);

async fn strangers_cannot_lock_the_owner_out(kind: Kind) {
    let Some(s) = start(kind, |c| {
        c.server.trusted_proxies = vec!["127.0.0.1/32".into()]
    })
    .await
    else {
        return;
    };
    let home = Some("192.0.2.10");
    assert_eq!(login_via(&s.base, home, "owner", PASSWORD).await, 303);
    // Guessing from many addresses: each is locked after 5, and past the account's ceiling
    // (20) attempts from new addresses are spaced out.
    let mut statuses = Vec::new();
    for a in 1..=6 {
        let from = format!("203.0.113.{a}");
        for _ in 0..5 {
            statuses.push(login_via(&s.base, Some(&from), "owner", "wrong-password").await);
        }
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        20,
        "{statuses:?}"
    );
    assert!(statuses[20..].iter().all(|s| *s == 429), "{statuses:?}");
    // The owner, from where they sign in, is neither locked nor slowed.
    assert_eq!(login_via(&s.base, home, "owner", PASSWORD).await, 303);
    // From a new address they are only slowed down: a moment later they get in.
    let travel = Some("198.51.100.50");
    assert_eq!(login_via(&s.base, travel, "owner", PASSWORD).await, 429);
    s.clock.advance(SignedDuration::from_secs(2));
    assert_eq!(login_via(&s.base, travel, "owner", PASSWORD).await, 303);

    // Back-off per (account, address): 15 minutes, then 30.
    let guess = Some("203.0.113.1");
    s.clock.advance(SignedDuration::from_mins(16));
    for _ in 0..5 {
        assert_eq!(
            login_via(&s.base, guess, "owner", "wrong-password").await,
            401
        );
    }
    assert_eq!(
        login_via(&s.base, guess, "owner", "wrong-password").await,
        429
    );
    s.clock.advance(SignedDuration::from_mins(16));
    assert_eq!(
        login_via(&s.base, guess, "owner", "wrong-password").await,
        429,
        "the second lock lasts 30 minutes"
    );
    s.clock.advance(SignedDuration::from_mins(15));
    assert_eq!(
        login_via(&s.base, guess, "owner", "wrong-password").await,
        401
    );
    assert_eq!(login_via(&s.base, home, "owner", PASSWORD).await, 303);
}
both!(strangers_cannot_lock_the_owner_out);

async fn parallel_passwords_cannot_pass_the_limit(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let st = store(&s.app, "S01").await;
    staff(&s.app, "li.na", "sales_associate", Some(st)).await;
    let mut guesses = tokio::task::JoinSet::new();
    for _ in 0..15 {
        let base = s.base.clone();
        guesses.spawn(async move { login_via(&base, None, "li.na", "wrong-password").await });
    }
    let statuses = guesses.join_all().await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, refused), (5, 10), "{statuses:?}");
    assert_eq!(login_via(&s.base, None, "li.na", PASSWORD).await, 429);
}
both!(parallel_passwords_cannot_pass_the_limit);
