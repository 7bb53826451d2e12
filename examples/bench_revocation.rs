//! Measures how long a revocation on instance A takes to be honoured by
//! instance B (which has the token cached): `bench_revocation A B tokens.txt`.
//! Prints one JSON line with the median and maximum of the delays.

use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (a, b, file) = (&args[1], &args[2], &args[3]);
    let tokens: Vec<String> =
        std::fs::read_to_string(file)?.lines().map(str::to_owned).filter(|l| !l.is_empty()).take(100).collect();
    let client = reqwest::Client::new();
    let mut delays = Vec::new();
    for token in &tokens {
        let me = |base: &str| client.get(format!("{base}/api/v1/me")).bearer_auth(token).send();
        anyhow::ensure!(me(b).await?.status().is_success(), "B must accept the token first");
        anyhow::ensure!(me(b).await?.status().is_success());
        client.post(format!("{a}/api/v1/tokens/revoke")).form(&[("token", token.as_str())]).send().await?;
        let started = Instant::now();
        loop {
            if me(b).await?.status().as_u16() == 401 {
                break;
            }
            anyhow::ensure!(started.elapsed() < Duration::from_secs(10), "B never refused the token");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        delays.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    delays.sort_by(f64::total_cmp);
    let median = delays[delays.len() / 2];
    let max = delays.last().copied().unwrap_or_default();
    println!("{{\"samples\": {}, \"median_ms\": {median:.2}, \"max_ms\": {max:.2}}}", delays.len());
    Ok(())
}
