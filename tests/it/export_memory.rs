//! The bulk export streams: exporting a table many times larger than the
//! server's memory growth allowance must not grow the server's memory. The
//! server runs as its own process here, so its peak RSS is its own.

use std::process::Command;
use std::time::Duration;

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::json;

use crate::cli::Served;
use crate::helpers::{Api, TestDb};

const LEADS: i64 = 250_000;

fn status_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exporting_a_large_table_does_not_grow_the_servers_memory() {
    let db = tokio::task::spawn_blocking(TestDb::create).await.unwrap();
    let dir = std::env::temp_dir().join(format!("kw-export-{}", db.name));
    let key = "11".repeat(32);
    let env = |cmd: &mut Command| {
        cmd.env("DATABASE_URL", &db.url)
            .env("KEYWARD_DATA_DIR", &dir)
            .env("KEYWARD_MASTER_KEY", &key)
            .env("KEYWARD_CONFIG", "/dev/null")
            .env("KEYWARD_BIND", "127.0.0.1:0")
            .env("KEYWARD_SECURE_COOKIES", "false")
            .env("KEYWARD_WORKERS", "2");
    };
    let bin = env!("CARGO_BIN_EXE_keyward");
    let personal = crate::helpers::cli_admin_with_token(bin, env, "setup");

    let mut server = Served::start(false, env);
    let base = server.url("");
    let admin = Api::new(&base, Some(&personal));
    assert_eq!(
        admin.post("/api/v1/campaigns", json!({"name": "Big", "slug": "big"})).await.status,
        StatusCode::CREATED
    );
    admin.post("/api/v1/campaigns/big/fields", json!({"slug": "email", "label": "Email", "type": "email"})).await;
    admin.post("/api/v1/campaigns/big/fields", json!({"slug": "note", "label": "Note", "type": "text"})).await;
    let private = admin
        .post("/api/v1/settings/account-tokens/private", json!({"user": "root@example.com", "description": "export"}))
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    diesel::sql_query(format!(
        "INSERT INTO leads (campaign_id, status, fields, selects, created_at, updated_at) \
         SELECT c.id, 'new', jsonb_build_object('email', 'lead' || g || '@example.com', 'note', repeat('x', 120)), '{{}}', now(), now() \
         FROM campaigns c, generate_series(1, {LEADS}) g WHERE c.slug = 'big'"
    ))
    .execute(&mut db.conn())
    .unwrap();

    // Warm up (pool, allocator), then measure around the big export.
    let client = reqwest::Client::builder().timeout(Duration::from_secs(300)).build().unwrap();
    let small =
        client.get(format!("{base}/api/v1/campaigns/big/leads?limit=500")).bearer_auth(&personal).send().await.unwrap();
    assert_eq!(small.status(), StatusCode::OK);
    small.bytes().await.unwrap();
    let before = status_kb(server.pid(), "VmRSS:");
    let res = client
        .get(format!("{base}/api/v1/export/leads?campaign=big&format=ndjson"))
        .bearer_auth(&private)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut res = res;
    let (mut bytes, mut lines_seen) = (0usize, 0usize);
    while let Some(chunk) = res.chunk().await.unwrap() {
        bytes += chunk.len();
        lines_seen += chunk.iter().filter(|b| **b == b'\n').count();
    }
    let peak = status_kb(server.pid(), "VmHWM:");
    let grew_mb = peak.saturating_sub(before) as f64 / 1024.0;
    let exported_mb = bytes as f64 / 1024.0 / 1024.0;
    println!(
        "exported {lines_seen} leads, {exported_mb:.1} MB; server RSS {before} kB before, peak {peak} kB (+{grew_mb:.1} MB)"
    );
    assert_eq!(lines_seen as i64, LEADS);
    assert!(exported_mb > 40.0, "a large export: {exported_mb:.1} MB");
    assert!(grew_mb < 25.0, "memory grew by {grew_mb:.1} MB while streaming {exported_mb:.1} MB");

    assert!(server.terminate().success());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A 50 MiB lead file goes up and comes down in constant memory: the
/// upload is spooled to disk and stored a chunk at a time, the download
/// read a chunk at a time (issue 14: "a test uploads and downloads 50 MiB
/// with the limit raised and watches the RSS").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_mib_file_goes_up_and_down_without_growing_the_servers_memory() {
    use sha2::{Digest as _, Sha256};
    const MIB: usize = 1024 * 1024;
    const SIZE: usize = 50 * MIB;

    let db = tokio::task::spawn_blocking(TestDb::create).await.unwrap();
    let dir = std::env::temp_dir().join(format!("kw-files-{}", db.name));
    let key = "12".repeat(32);
    let env = |cmd: &mut Command| {
        cmd.env("DATABASE_URL", &db.url)
            .env("KEYWARD_DATA_DIR", &dir)
            .env("KEYWARD_MASTER_KEY", &key)
            .env("KEYWARD_CONFIG", "/dev/null")
            .env("KEYWARD_BIND", "127.0.0.1:0")
            .env("KEYWARD_MAX_FILE_BYTES", (64 * MIB).to_string())
            .env("KEYWARD_WORKERS", "2");
    };
    let personal = crate::helpers::cli_admin_with_token(env!("CARGO_BIN_EXE_keyward"), env, "setup");
    let mut server = Served::start(false, env);
    let admin = Api::new(&server.url(""), Some(&personal));
    admin.post("/api/v1/campaigns", json!({"name": "Files", "slug": "files"})).await;
    admin.post("/api/v1/campaigns/files/fields", json!({"slug": "note", "label": "Note", "type": "text"})).await;
    let lead = admin.post("/api/v1/campaigns/files/leads", json!({"fields": {"note": "big"}})).await;
    let url = server.url(&format!("/api/v1/campaigns/files/leads/{}/files", lead.body["id"]));

    // Text, made as it is sent: 50 pieces of 1 MiB.
    let piece: Vec<u8> = b"a line of a large lead file, plain text\n".iter().copied().cycle().take(MIB).collect();
    let expected: String = {
        let mut h = Sha256::new();
        for _ in 0..SIZE / MIB {
            h.update(&piece);
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    };
    let client = reqwest::Client::builder().timeout(Duration::from_secs(300)).build().unwrap();
    // Warm up (pool, allocator) with a small file first.
    let small = client.post(format!("{url}?name=small.txt")).bearer_auth(&personal).body("warm").send().await.unwrap();
    assert_eq!(small.status(), StatusCode::CREATED);
    let before = status_kb(server.pid(), "VmRSS:");

    let pieces: Vec<Result<Vec<u8>, std::io::Error>> = (0..SIZE / MIB).map(|_| Ok(piece.clone())).collect();
    let res = client
        .post(format!("{url}?name=big.txt"))
        .bearer_auth(&personal)
        .header("content-type", "text/plain")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(pieces)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let file: serde_json::Value = res.json().await.unwrap();
    assert_eq!((file["size"].as_u64(), file["sha256"].as_str()), (Some(SIZE as u64), Some(expected.as_str())));

    let mut res = client.get(format!("{url}/{}", file["id"])).bearer_auth(&personal).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (mut h, mut n) = (Sha256::new(), 0usize);
    while let Some(chunk) = res.chunk().await.unwrap() {
        n += chunk.len();
        h.update(&chunk);
    }
    let got: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!((n, got), (SIZE, expected), "the same bytes come back");

    let peak = status_kb(server.pid(), "VmHWM:");
    let grew_mb = peak.saturating_sub(before) as f64 / 1024.0;
    println!("50 MiB up and down; server RSS {before} kB before, peak {peak} kB (+{grew_mb:.1} MB)");
    assert!(grew_mb < 20.0, "memory grew by {grew_mb:.1} MB while moving 100 MiB");
    assert!(server.terminate().success());
    let _ = std::fs::remove_dir_all(&dir);
}
