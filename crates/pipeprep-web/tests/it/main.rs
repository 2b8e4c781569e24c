//! The web server's tests, in one binary: the JSON API and the pages through the router with
//! `oneshot`, and (when Chromium is installed) a real browser driving a whole interview.

mod api;
mod browser;
mod common;
mod pages;
mod sim;
mod teams;
