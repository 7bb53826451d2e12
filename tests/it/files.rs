//! Lead files (seed 001, SPEC §5): upload with Write (raw or multipart),
//! list and download with Read (streamed, ETag, ranges), delete with
//! Write; the token's filter hides a lead's files with the lead; the size
//! limit and the campaign's types, checked by content.

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::helpers::{Api, Options, TestApp, api};
use crate::leads::{api_token, lead, seed};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";
const GIF: &[u8] =
    b"GIF89a\x01\0\x01\0\x80\0\0\0\0\0\xff\xff\xff!\xf9\x04\x01\0\0\0\0,\0\0\0\0\x01\0\x01\0\0\x02\x02D\x01\0;";

struct World {
    app: TestApp,
    admin: Api,
    /// A lead inside the filter, and one outside it.
    inside: i64,
    outside: i64,
}

async fn world(options: Options) -> World {
    let app = TestApp::spawn_with(options).await;
    let admin = app.setup_admin().await;
    let admin = app.admin_api(&admin).await;
    seed(&admin).await;
    let inside = admin.post("/api/v1/campaigns/spring/leads", lead("SELECT_PARTNER", "in@example.com")).await;
    let outside = admin.post("/api/v1/campaigns/spring/leads", lead("VENDOR_NORTH", "out@example.com")).await;
    World { inside: inside.body["id"].as_i64().unwrap(), outside: outside.body["id"].as_i64().unwrap(), app, admin }
}

fn files_url(w: &World, lead: i64) -> String {
    w.app.url(&format!("/api/v1/campaigns/spring/leads/{lead}/files"))
}

async fn upload_raw(
    w: &World,
    token: &str,
    lead: i64,
    name: &str,
    content_type: &str,
    bytes: &[u8],
) -> (StatusCode, Value) {
    let res = api()
        .post(format!("{}?name={}", files_url(w, lead), keyward::http::urlencode(name)))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn stored(app: &TestApp) -> (i64, i64) {
    let files: i64 = keyward::schema::lead_files::table.count().get_result(&mut app.conn()).unwrap();
    let chunks: i64 = keyward::schema::lead_file_chunks::table.count().get_result(&mut app.conn()).unwrap();
    (files, chunks)
}

fn spooled(app: &TestApp) -> usize {
    std::fs::read_dir(app.data_dir.join("uploads")).map(|d| d.count()).unwrap_or(0)
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_go_up_with_write_come_down_with_read_and_stream_with_ranges() {
    let w = world(Options::default()).await;
    let filter = {
        use keyward::schema::filters::dsl::*;
        filters.select(id).first::<i64>(&mut w.app.conn()).unwrap()
    };
    let writer = api_token(&w.admin, false, true, Some(filter)).await;
    let reader = api_token(&w.admin, true, false, Some(filter)).await;

    let (status, file) = upload_raw(&w, &writer, w.inside, "scan of the form.png", "image/png", PNG).await;
    assert_eq!(status, StatusCode::CREATED, "{file}");
    assert_eq!(file["name"], "scan of the form.png");
    assert_eq!((file["size"].as_u64(), file["content_type"].as_str()), (Some(PNG.len() as u64), Some("image/png")));
    assert_eq!(file["sha256"], hex(PNG));
    let id = file["id"].as_i64().unwrap();

    // Multipart, a CSV: the type comes from the part, checked by content.
    let csv = "name,email\nAda,ada@example.com\n";
    let form = reqwest::multipart::Form::new().text("note", "ignored").part(
        "file",
        reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("people.csv").mime_str("text/csv").unwrap(),
    );
    let res = api().post(files_url(&w, w.inside)).bearer_auth(&writer).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let csv_file: Value = res.json().await.unwrap();
    assert_eq!((csv_file["name"].as_str(), csv_file["content_type"].as_str()), (Some("people.csv"), Some("text/csv")));

    // Read lists and downloads; Write alone may not, and Read may not upload.
    let listed =
        Api::new(&w.app.base, Some(&reader)).get(&format!("/api/v1/campaigns/spring/leads/{}/files", w.inside)).await;
    assert_eq!(listed.status, StatusCode::OK);
    let names: Vec<&str> =
        listed.body["items"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["scan of the form.png", "people.csv"]);
    let denied =
        Api::new(&w.app.base, Some(&writer)).get(&format!("/api/v1/campaigns/spring/leads/{}/files", w.inside)).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert_eq!(upload_raw(&w, &reader, w.inside, "x.png", "image/png", PNG).await.0, StatusCode::FORBIDDEN);

    let url = format!("{}/{id}", files_url(&w, w.inside));
    let res = api().get(&url).bearer_auth(&reader).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let headers = res.headers().clone();
    assert_eq!(headers["content-type"], "image/png");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment") && disposition.contains("scan%20of%20the%20form.png"),
        "{disposition}"
    );
    let etag = headers["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", hex(PNG)));
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);

    let res = api().get(&url).bearer_auth(&reader).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
    let res = api().get(&url).bearer_auth(&reader).header("range", "bytes=1-3").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.headers()["content-range"], format!("bytes 1-3/{}", PNG.len()));
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"PNG");
    let res = api().get(&url).bearer_auth(&reader).header("range", "bytes=-4").send().await.unwrap();
    assert_eq!(res.bytes().await.unwrap().as_ref(), &PNG[PNG.len() - 4..]);
    let res = api().get(&url).bearer_auth(&reader).header("range", "bytes=9999-").send().await.unwrap();
    let h = res.headers().clone();
    assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE, "{h:?} {}", res.text().await.unwrap());
    assert_eq!(res.headers()["content-range"], format!("bytes */{}", PNG.len()));

    // A lead outside the filter has no files, whatever exists.
    let theirs = upload_raw(&w, w.admin.token.as_deref().unwrap(), w.outside, "x.png", "image/png", PNG).await;
    assert_eq!(theirs.0, StatusCode::CREATED);
    let hidden = format!("/api/v1/campaigns/spring/leads/{}/files", w.outside);
    assert_eq!(Api::new(&w.app.base, Some(&reader)).get(&hidden).await.status, StatusCode::NOT_FOUND);
    let their_file = format!("{}{hidden}/{}", w.app.base, theirs.1["id"]);
    assert_eq!(api().get(&their_file).bearer_auth(&reader).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(upload_raw(&w, &writer, w.outside, "x.png", "image/png", PNG).await.0, StatusCode::NOT_FOUND);
    // Another lead's file id through this lead: 404.
    let crossed = format!("{}/{}", files_url(&w, w.inside), theirs.1["id"]);
    assert_eq!(api().get(&crossed).bearer_auth(&reader).send().await.unwrap().status(), StatusCode::NOT_FOUND);

    // Delete with Write; then it is gone.
    let res = api().delete(&url).bearer_auth(&writer).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(api().get(&url).bearer_auth(&reader).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(spooled(&w.app), 0, "no spooled upload is left behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_over_the_limit_or_of_a_refused_type_are_refused_and_nothing_is_stored() {
    let w = world(Options { env: vec![("KEYWARD_MAX_FILE_BYTES".into(), "4096".into())], ..Default::default() }).await;
    let token = w.admin.token.clone().unwrap();
    let before = stored(&w.app);

    // Too large: by Content-Length at once, and by counting when it is chunked.
    let big = vec![b'a'; 5000];
    let (status, body) = upload_raw(&w, &token, w.inside, "big.txt", "text/plain", &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("4096"), "{body}");
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..5).map(|_| Ok(vec![b'a'; 1000])).collect();
    let res = api()
        .post(format!("{}?name=big.txt", files_url(&w, w.inside)))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
        .send()
        .await;
    // The server may answer 413 before the client has sent everything.
    if let Ok(res) = res {
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }

    for (name, content_type, bytes, says) in [
        ("anim.gif", "image/gif", GIF, "GIF image files are not accepted here"),
        ("photo.png", "image/png", PDF, "not image/png as declared"),
        ("words.png", "image/png", b"just words".as_slice(), "not a PNG image file"),
        ("tool.exe", "application/x-msdownload", b"MZ\x90\0".as_slice(), "application/x-msdownload is not a type"),
        ("notes.txt", "text/plain", b"nul\0inside".as_slice(), "does not recognise"),
    ] {
        let (status, body) = upload_raw(&w, &token, w.inside, name, content_type, bytes).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{name}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(says) && message.contains("this campaign accepts"), "{name}: {message}");
    }
    for (name, bytes, field) in [("empty.txt", b"".as_slice(), "file"), ("", b"hello".as_slice(), "name")] {
        let (status, body) = upload_raw(&w, &token, w.inside, name, "text/plain", bytes).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {body}");
        assert!(body["error"]["fields"][field].is_string(), "{body}");
    }
    let form = reqwest::multipart::Form::new().text("other", "no file here");
    let res = api().post(files_url(&w, w.inside)).bearer_auth(&token).multipart(form).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // No such lead.
    assert_eq!(upload_raw(&w, &token, 999_999, "x.png", "image/png", PNG).await.0, StatusCode::NOT_FOUND);

    assert_eq!(stored(&w.app), before, "nothing stored");
    assert_eq!(spooled(&w.app), 0, "no spooled upload is left behind");
}
