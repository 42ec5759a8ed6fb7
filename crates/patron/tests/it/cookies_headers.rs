//! Every cookie Patron sets carries the house attributes, and every route of the route table
//! answers with the security headers. Served over HTTPS (a public URL starting `https://`,
//! behind the proxy the docs require), cookies are `__Host-` prefixed and `Secure`, and HSTS
//! covers subdomains; on plain HTTP at a loopback address (the only plain HTTP accepted) they
//! are neither, and say so: no `__Host-` name without `Secure`, no HSTS.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, Resp, start, start_fresh};
use patron_web::route_table;

const HTTPS: &str = "https://crm.example.cn";

fn set_cookies(r: &Resp) -> Vec<String> {
    r.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_string)
        .collect()
}

/// Goes through every flow that sets a cookie before and after sign-in: first-run set-up
/// (double-submit CSRF token), a failed and a good sign-in, the language switch, sign-out.
async fn every_set_cookie(base: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let c = Client::new(base);
    seen.extend(set_cookies(&c.get("/setup").await));
    let setup = c
        .post(
            "/setup",
            &[
                ("username", "owner"),
                ("display_name", "店主"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(setup.location, "/login?ok=setup_done");
    seen.extend(set_cookies(&setup));
    let c = Client::new(base);
    seen.extend(set_cookies(&c.get("/login").await));
    seen.extend(set_cookies(
        &c.post(
            "/login",
            &[("username", "owner"), ("password", "wrong one")],
        )
        .await,
    ));
    let fresh = Client::new(base);
    seen.extend(set_cookies(
        &fresh
            .post(
                "/login",
                &[("username", "owner"), ("password", "wrong one")],
            )
            .await,
    ));
    let ok = c
        .post("/login", &[("username", "owner"), ("password", PASSWORD)])
        .await;
    assert_eq!(ok.location, "/console");
    seen.extend(set_cookies(&ok));
    seen.extend(set_cookies(&c.get("/lang/en").await));
    c.get("/console").await;
    seen.extend(set_cookies(&c.post("/logout", &[]).await));
    seen
}

fn attributes(cookie: &str) -> (String, Vec<String>) {
    let mut parts = cookie.split(';').map(|p| p.trim().to_string());
    let name = parts
        .next()
        .and_then(|p| p.split_once('=').map(|(n, _)| n.to_string()))
        .expect("name=value");
    (name, parts.collect())
}

async fn cookies_carry_the_house_attributes(kind: Kind) {
    let Some(s) = start_fresh(kind, |c| c.server.public_url = HTTPS.into()).await else {
        return;
    };
    let cookies = every_set_cookie(&s.base).await;
    let mut names = std::collections::BTreeSet::new();
    for cookie in &cookies {
        let (name, attrs) = attributes(cookie);
        let has = |a: &str| attrs.iter().any(|x| x.eq_ignore_ascii_case(a));
        assert!(name.starts_with("__Host-"), "{cookie}");
        assert!(
            has("Secure") && has("HttpOnly") && has("Path=/"),
            "{cookie}"
        );
        assert!(has("SameSite=Lax") || has("SameSite=Strict"), "{cookie}");
        assert!(
            !attrs
                .iter()
                .any(|a| a.to_ascii_lowercase().starts_with("domain=")),
            "{cookie}"
        );
        names.insert(name);
    }
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        ["__Host-lang", "__Host-patron_csrf", "__Host-patron_session"],
        "every kind of cookie was seen"
    );
    s.shutdown().await;
    // Plain HTTP on loopback: the same attributes, but no claim of Secure it cannot keep.
    let Some(s) = start_fresh(kind, |_| {}).await else {
        return;
    };
    let cookies = every_set_cookie(&s.base).await;
    assert!(cookies.len() >= 4);
    for cookie in &cookies {
        let (name, attrs) = attributes(cookie);
        let has = |a: &str| attrs.iter().any(|x| x.eq_ignore_ascii_case(a));
        assert!(!name.starts_with("__Host-") && !has("Secure"), "{cookie}");
        assert!(
            has("HttpOnly") && has("Path=/") && has("SameSite=Lax"),
            "{cookie}"
        );
    }
}
both!(cookies_carry_the_house_attributes);

/// The route's path with every `{parameter}` filled in.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find('}').expect("closing brace") + i;
        out.push_str(match &rest[i + 1..end] {
            "role" => "data_clerk",
            "job" => "backup",
            "code" => "en",
            "token" => "bogus",
            _ => "1",
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

fn assert_security_headers(label: &str, h: &reqwest::header::HeaderMap, hsts: bool) {
    let get = |n: &str| h.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    let csp = get("content-security-policy");
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{label}: CSP {csp:?}"
    );
    assert_eq!(get("x-content-type-options"), "nosniff", "{label}");
    assert_eq!(get("referrer-policy"), "same-origin", "{label}");
    assert_eq!(get("x-frame-options"), "DENY", "{label}");
    let sts = get("strict-transport-security");
    if hsts {
        assert!(
            sts.contains("max-age=31536000") && sts.contains("includeSubDomains"),
            "{label}: HSTS {sts:?}"
        );
    } else {
        assert!(sts.is_empty(), "{label}: no HSTS on plain HTTP");
    }
}

async fn walk(base: &str, cookie: Option<&str>, hsts: bool) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut routes: Vec<(String, String)> = route_table()
        .iter()
        .map(|r| (r.method.to_string(), concrete(r.path)))
        .collect();
    routes.push(("GET".into(), "/no/such/page".into()));
    routes.push(("GET".into(), "/api/v1/no-such-thing".into()));
    for (method, path) in routes {
        // Signed in, only reads: a post would change what the rest of the walk sees.
        if cookie.is_some() && method != "GET" {
            continue;
        }
        let mut req = http.request(method.parse().expect("method"), format!("{base}{path}"));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let res = req.send().await.expect("request");
        let label = format!("{method} {path} ({})", res.status());
        assert_security_headers(&label, res.headers(), hsts);
    }
}

async fn every_route_answers_with_security_headers(kind: Kind) {
    let Some(s) = start(kind, |c| c.server.public_url = HTTPS.into()).await else {
        return;
    };
    walk(&s.base, None, true).await;
    let c = Client::new(&s.base);
    assert_eq!(c.login("owner", PASSWORD).await.location, "/console");
    walk(&s.base, Some(&c.cookie_header()), true).await;
    s.shutdown().await;
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    walk(&s.base, None, false).await;
}
both!(every_route_answers_with_security_headers);
