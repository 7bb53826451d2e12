//! Keyward's integration tests: one binary, a module per area. Each test
//! starts the real server on its own database and talks HTTP to it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod browser;
mod helpers;
mod mail;

mod accounts;
mod accounts_tokens;
mod api_users;
mod architecture;
mod audit;
mod bad_input;
mod browser_accounts;
mod browser_layout;
mod browser_leads;
mod browser_levels;
mod browser_lifecycle;
mod browser_seed001;
mod browser_support;
mod browser_tokens;
mod campaigns;
mod cli;
mod console;
mod contract;
mod destinations;
mod examples;
mod export_memory;
mod faults;
mod files;
mod imports;
mod intake;
mod leads;
mod lifecycle;
mod matrix;
mod outbox;
mod pooler;
mod public_data;
mod receiver;
mod relations;
mod roundtrip;
mod scale;
mod strict_bodies;
mod support;
mod tokens;
