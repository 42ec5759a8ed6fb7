//! Pure computation on plain data: no IO, no clock, no database. Callers read the facts
//! (running statistics, never the sales history), pass "today" in, and store what comes out.

pub mod activity;
pub mod classes;
