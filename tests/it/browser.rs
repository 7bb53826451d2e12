//! Headless Chromium through WebDriver (Debian's chromedriver), one
//! browser per test. A failing flow leaves a screenshot under
//! target/screenshots/<test>.png.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, Result};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: PathBuf,
    base: String,
}

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

impl Browser {
    /// Chromium started through chromedriver. A second attempt when the
    /// first fails: on two loaded cores, Chromium occasionally misses
    /// chromedriver's own start-up deadline.
    pub async fn start(base: &str) -> Result<Self> {
        match Self::start_once(base).await {
            Ok(browser) => Ok(browser),
            Err(first) => {
                eprintln!("browser start failed, trying once more: {first:#}");
                Self::start_once(base).await.with_context(|| format!("after a first failure: {first:#}"))
            }
        }
    }

    async fn start_once(base: &str) -> Result<Self> {
        let mut driver = Command::new(CHROMEDRIVER)
            .arg("--port=0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {CHROMEDRIVER}: install chromium-driver (.ci/run does)"))?;
        let stdout = driver.stdout.take().context("chromedriver stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let port = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(rest) = line.split("started successfully on port ").nth(1) {
                    return Ok::<_, anyhow::Error>(rest.trim_end_matches('.').trim().parse::<u16>()?);
                }
            }
            anyhow::bail!("chromedriver exited before it was ready")
        })
        .await
        .context("chromedriver did not start within 30 s")??;
        // Keep reading its output so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

        let profile = std::env::temp_dir().join(format!("kw-chrome-{}", keyward::tokens::random_base62(10)));
        let args = vec![
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--no-first-run".to_owned(),
            "--window-size=1280,900".to_owned(),
            format!("--user-data-dir={}", profile.display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".to_owned(), serde_json::json!({ "binary": CHROMIUM, "args": args }));
        let client = ClientBuilder::native()
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .context("cannot open a WebDriver session")?;
        Ok(Self { client, driver, profile, base: base.to_owned() })
    }

    pub async fn goto(&self, path: &str) -> Result<()> {
        let absolute = ["http:", "https:", "file:", "data:"].iter().any(|s| path.starts_with(s));
        let url = if absolute { path.to_owned() } else { format!("{}{path}", self.base) };
        self.client.goto(&url).await.with_context(|| format!("goto {url}"))
    }

    pub async fn find(&self, css: &str) -> Result<Element> {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("no element {css}"))
    }

    pub async fn fill(&self, css: &str, value: &str) -> Result<()> {
        let el = self.find(css).await?;
        el.clear().await.ok();
        el.send_keys(value).await.with_context(|| format!("typing into {css}"))
    }

    pub async fn click(&self, css: &str) -> Result<()> {
        self.find(css).await?.click().await.with_context(|| format!("clicking {css}"))
    }

    /// Clicks something that loads a page (a link, a form's submit button)
    /// and waits until the new page has loaded, so that nothing found
    /// afterwards belongs to the old one.
    pub async fn click_and_load(&self, css: &str) -> Result<()> {
        self.client.execute("window.__kwOldPage = true;", vec![]).await?;
        self.click(css).await?;
        for _ in 0..200 {
            let fresh = self
                .client
                .execute("return window.__kwOldPage === undefined && document.readyState === 'complete';", vec![])
                .await
                .unwrap_or_default();
            if fresh.as_bool() == Some(true) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!("no new page loaded after clicking {css}")
    }

    /// Signs in through the login form (the test password) and waits for
    /// the dashboard.
    pub async fn sign_in(&self, email: &str) -> Result<()> {
        self.goto("/login").await?;
        self.fill("input[name=email]", email).await?;
        self.fill("input[name=password]", crate::helpers::PASSWORD).await?;
        self.click_and_load("form[action='/login'] button[type=submit]").await?;
        self.wait_for_path("/").await
    }

    pub async fn text(&self, css: &str) -> Result<String> {
        Ok(self.find(css).await?.text().await?)
    }

    /// Waits for an element's text, which a script may set only once a
    /// promise resolves (Copy turns into Copied after the clipboard write,
    /// and back 1.5 s later).
    pub async fn wait_for_text(&self, css: &str, expected: &str) -> Result<()> {
        let mut seen = String::new();
        for _ in 0..100 {
            seen = self.text(css).await?;
            if seen == expected {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        anyhow::bail!("{css} reads {seen:?}, not {expected:?}")
    }

    pub async fn path(&self) -> Result<String> {
        let url = self.client.current_url().await?;
        Ok(match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        })
    }

    /// Waits until the current path is `path`.
    pub async fn wait_for_path(&self, path: &str) -> Result<()> {
        for _ in 0..100 {
            if self.path().await? == path {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!("still on {} instead of {path}", self.path().await?)
    }

    pub async fn body_text(&self) -> Result<String> {
        self.text("body").await
    }

    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, self.client.screenshot().await?)?;
        Ok(path)
    }

    /// A screenshot for a person to look at, when `KEYWARD_LOOK` is set
    /// (`KEYWARD_LOOK=1 cargo test … browser`): target/screenshots/look-*.png.
    pub async fn look(&self, name: &str) -> Result<()> {
        if std::env::var_os("KEYWARD_LOOK").is_some() {
            self.screenshot(&format!("look-{name}")).await?;
        }
        Ok(())
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill().await;
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Ends a browser flow: on failure saves a screenshot, then fails the test
/// with the error, the page it was on and where the screenshot is.
pub async fn finish(browser: Browser, name: &str, result: Result<()>) {
    if let Err(e) = result {
        let shot = browser.screenshot(name).await;
        let url = browser.path().await.unwrap_or_default();
        browser.close().await;
        panic!("browser flow {name} failed at {url}: {e:#}\nscreenshot: {shot:?}");
    }
    browser.close().await;
}
