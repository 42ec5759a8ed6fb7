//! Patron's integration suite: the real server on 127.0.0.1:0 with its own database per
//! test, driven over HTTP. Every scenario runs on SQLite and on PostgreSQL
//! (`PATRON_TEST_PG_URL`); with `PATRON_TEST_REQUIRE_PG=1` a missing PostgreSQL fails.

mod harness;

mod adjust;
mod audit;
mod backup;
mod browser;
mod browser_service;
mod bulk_import;
mod cards;
mod channels;
mod checkout;
mod checkout_concurrency;
mod churn;
mod classes;
mod cli;
mod coupons;
mod crash;
mod credentials;
mod customer_merge;
mod customers;
mod customers_console;
mod demo_service;
mod followups;
mod greetings;
mod jobs;
mod loyalty_console;
mod mall;
mod matrix;
mod matrix_fixture;
mod matrix_forms;
mod messages;
mod notices;
mod orders;
mod outbox;
mod points;
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
mod setup_login;
mod storage;
mod surveys;
mod ticket_compensation;
mod tickets;
mod tiers;
mod transfer;
mod warranties;
mod wechat;
