//! Loading and checking the configuration.

use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn the_example_is_the_defaults() {
    let parsed: Config = toml::from_str(EXAMPLE).expect("example parses");
    assert_eq!(parsed, Config::default());
}

#[test]
fn a_channel_without_its_keys_is_refused() {
    let mut c = Config::default();
    c.sms.provider = "aliyun".into();
    let e = c.validate().expect_err("no keys").to_string();
    assert!(e.contains("sms.access_key_id"), "{e}");
    c.sms.provider = "tencnet".into();
    let e = c.validate().expect_err("typo").to_string();
    assert!(e.contains("tencnet"), "{e}");
    c.sms.provider = "webhook".into();
    assert!(c.validate().is_err(), "webhook without its address");
    c.webhook.url = "http://127.0.0.1:9/hook".into();
    let e = c.validate().expect_err("no secret").to_string();
    assert!(e.contains("webhook.secret"), "{e}");
    c.webhook.secret = "hook-secret".into();
    assert!(c.validate().is_ok());
    c.outbox.retention_days = 7;
    let e = c.validate().expect_err("too short").to_string();
    assert!(e.contains("retention_days"), "{e}");
    // Day counts are subtracted from now as durations: a huge one is refused, not a panic.
    c.outbox.retention_days = 90;
    c.security.login_known_address_days = i64::MAX / 1_000;
    let e = c.validate().expect_err("too long").to_string();
    assert!(e.contains("login_known_address_days"), "{e}");
    c.security.login_known_address_days = 90;
    c.outbox.retention_days = 100_000;
    let e = c.validate().expect_err("too long").to_string();
    assert!(
        e.contains("retention_days must be between 8 and 3660"),
        "{e}"
    );
}

#[test]
fn environment_overrides_file_and_defaults() {
    let dir = std::env::temp_dir().join(format!("patron-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("patron.toml"),
        "[server]\nlisten = \"127.0.0.1:9000\"\ntimezone = \"Asia/Urumqi\"\n",
    )
    .expect("write");
    let c = Config::load(
        None,
        Some(&dir),
        env(&[
            ("PATRON_SERVER_LISTEN", "127.0.0.1:9100"),
            ("PATRON_DATABASE_URL", "postgres://u@h/db"),
            ("PATRON_SECURITY_TOTP_REQUIRED_ROLES", "admin"),
            ("PATRON_TEST_PG_URL", "ignored"),
            ("HOME", "/root"),
        ]),
    )
    .expect("loads");
    assert_eq!(c.server.listen, "127.0.0.1:9100");
    assert_eq!(c.server.timezone, "Asia/Urumqi");
    assert_eq!(c.database.url, "postgres://u@h/db");
    assert_eq!(c.security.totp_required_roles, vec!["admin".to_string()]);
    assert_eq!(c.data_dir, dir);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn unknown_keys_are_errors() {
    let dir = std::env::temp_dir().join(format!("patron-config-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("patron.toml"),
        "[server]\nlisten_addr = \"127.0.0.1:9000\"\n",
    )
    .expect("write");
    let e = Config::load(None, Some(&dir), env(&[])).expect_err("typo refused");
    assert!(e.to_string().contains("listen_addr"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
    let e = Config::load(None, None, env(&[("PATRON_SERVER_LISTN", "x")]))
        .expect_err("env typo refused");
    assert!(e.to_string().contains("PATRON_SERVER_LISTN"), "{e}");
}

#[test]
fn plain_http_is_only_allowed_on_loopback() {
    let mut c = Config::default();
    assert_eq!(c.cookie_secure().ok(), Some(false));
    c.server.public_url = "https://crm.example.cn".into();
    assert_eq!(c.cookie_secure().ok(), Some(true));
    c.server.public_url = "http://192.168.1.10:8080".into();
    assert!(c.cookie_secure().is_err());
    c.server.public_url = "http://[::1]:8080".into();
    assert_eq!(c.cookie_secure().ok(), Some(false));
}
