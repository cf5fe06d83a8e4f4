//! Helpers for end-to-end tests: a headless Chromium driven over WebDriver, and the
//! `fanfare demo` servers started on free loopback ports over a fresh database.

pub mod browser;
pub mod demo;
pub mod webdriver;
