//! Keyward: a self-hosted API-token manager with a server-rendered console.
//!
//! A request follows one path: route (`web` for the console, `api` for
//! JSON) → service (`services`, the rules) → model (`models`, the tables).

pub mod api;
pub mod assets;
pub mod cache;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod csv_util;
pub mod db;
pub mod domain;
pub mod error;
pub mod jobs;
pub mod mail;
pub mod metrics;
pub mod models;
pub mod schema;
pub mod services;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod tokens;
pub mod web;
