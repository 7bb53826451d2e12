//! Keyward: a self-hosted API-token manager with a server-rendered console.
//!
//! Requests go one way: route (`web` for console pages, `api` for JSON) →
//! `services` (the rules; the only code that opens a connection and owns
//! the transaction) → `models` (one module per table) → the database. The
//! token core (`tokens`) and mail (`mail`) sit between services and models;
//! `domain` holds the vocabulary every layer shares. Imports only point
//! down; ARCHITECTURE.md has the map.

pub mod api;
pub mod assets;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod csv_util;
pub mod db;
pub mod domain;
pub mod edge;
pub mod error;
pub mod http;
pub mod jobs;
pub mod mail;
pub mod metrics;
pub mod models;
pub mod netlist;
pub mod schema;
pub mod services;
pub mod startup;
pub mod telemetry;
pub mod text;
pub mod tokens;
pub mod web;
pub mod webhook;
