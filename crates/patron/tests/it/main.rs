//! Patron's integration suite: the real server on 127.0.0.1:0 with its own database per
//! test, driven over HTTP. Every scenario runs on SQLite and on PostgreSQL
//! (`PATRON_TEST_PG_URL`); with `PATRON_TEST_REQUIRE_PG=1` a missing PostgreSQL fails.

// Everything here is test code, helpers included: a failed unwrap fails the test that reached
// it, and a run says on standard error which optional suites it skipped.
#![allow(clippy::unwrap_used, clippy::print_stderr)]

mod harness;

mod adjust;
mod audit;
mod backup;
mod browser;
mod browser_nav;
mod browser_service;
mod bulk_import;
mod cards;
mod channels;
mod checkout;
mod checkout_concurrency;
mod churn;
mod classes;
mod cli;
mod cockpit;
mod cookies_headers;
mod coupons;
mod crash;
mod credentials;
mod customer_language;
mod customer_merge;
mod customers;
mod customers_console;
mod daily_limits;
mod demo_sales;
mod demo_service;
mod directory;
mod followups;
mod greetings;
mod jobs;
mod loyalty_console;
mod mall;
mod matrix;
mod member_presence;
mod messages;
mod navigation;
mod notices;
mod orders;
mod outbox;
mod password_work;
mod points;
mod privileges;
mod reader_language;
mod report_targets;
mod reports;
mod sales_import;
mod saved_segments;
mod scoping;
mod security;
mod segments;
mod segments_api;
mod sentinel;
mod service_api;
mod service_reports;
mod service_settings;
mod sessions;
mod setup_login;
mod signin_attempts;
mod storage;
mod surveys;
mod ticket_approval;
mod ticket_attachments;
mod ticket_compensation;
mod tickets;
mod tiers;
mod transfer;
mod uploads;
mod warranties;
mod wechat;
