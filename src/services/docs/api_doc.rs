//! The shell examples `/docs/api` shows, written from the API's OpenAPI
//! document (an operation as JSON): the path filled with example values,
//! the query parameters that carry an example, and the body's example in
//! the content type the operation reads. Double quotes throughout, so the
//! shell expands `$KEYWARD_TOKEN`.

use serde_json::Value;

use crate::domain::IntakeMethod;

/// The ping id the example of a post names (a ping answers its own).
pub const EXAMPLE_PING_ID: &str = "png_4fQx9LmZ2rT7bW1cK8dY3sVa";

/// The value an example puts in path parameter `name` of `method` on
/// `path`: each resource its own, so that the examples, run in the page's
/// order, name what the ones before them made (the campaign `spring` with
/// its source `web`, field `email`, select `select_partner`, status `sold`;
/// user 42, …), and an action that ends a thing names one nothing after it
/// needs.
pub fn example_value_in(method: &str, path: &str, name: &str) -> &'static str {
    let param = format!("{{{name}}}");
    let mut segments = path.split('/');
    let before = segments.by_ref().take_while(|seg| *seg != param).last().unwrap_or_default();
    let after = segments.next().unwrap_or_default();
    match (before, name, after) {
        (_, "c", _) => "spring",
        (_, "s", _) => "web",
        (_, "m", _) => IntakeMethod::Form.as_str(),
        ("fields", ..) => "email",
        ("selects", ..) => "select_partner",
        ("options", ..) => "VENDOR_NORTH",
        // Made the default, the status every new lead has; `sold` is
        // deleted once no lead has it.
        ("statuses", ..) if method == "PATCH" => "new",
        ("statuses", ..) => "sold",
        ("relations", ..) => "account",
        // The API user made after user 42.
        ("api-users", ..) => "43",
        // A partner's campaign API token is shown and regenerated; an API
        // user's token is switched off and revoked; your own is read,
        // limited and deleted.
        (_, "key", "show" | "regenerate") => "kw_api_QrSt9012",
        (_, "key", "active" | "revoke") => "kw_pat_WxYz3456",
        ("private", "key", "reset") => "kw_prv_EfGh5678",
        ("private", "key", _) => "kw_prv_IjKl9012",
        (_, "key", _) => "kw_pat_AbCd1234",
        _ => "42",
    }
}

/// `/api/v1/campaigns/{c}` → `/api/v1/campaigns/spring`.
pub fn example_path(method: &str, path: &str) -> String {
    path.split('/')
        .map(|seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => example_value_in(method, path, name).to_owned(),
            None => seg.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The file an example sends as bytes of this content type.
pub fn example_file(content_type: &str) -> &'static str {
    match content_type.split(';').next().unwrap_or_default().trim() {
        "text/csv" => "leads.csv",
        "application/x-ndjson" | "application/json" => "leads.json",
        "image/png" => "photo.png",
        "image/jpeg" => "photo.jpg",
        "image/gif" => "photo.gif",
        "image/webp" => "photo.webp",
        "text/plain" => "notes.txt",
        _ => "contract.pdf",
    }
}

/// A `curl` command for one operation of the document, reading the token
/// from `$KEYWARD_TOKEN`.
pub fn curl(base: &str, method: &str, path: &str, op: &Value) -> String {
    curl_with(base, method, path, op, "KEYWARD_TOKEN")
}

/// The same, reading the token from the shell variable `var`.
pub fn curl_with(base: &str, method: &str, path: &str, op: &Value, var: &str) -> String {
    let mut url = format!("{base}{}", example_path(method, path));
    let query: Vec<String> = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["in"] == "query")
        .filter_map(|p| Some(format!("{}={}", p["name"].as_str()?, p["example"].as_str()?)))
        .collect();
    if !query.is_empty() {
        url = format!("{url}?{}", query.join("&"));
    }
    let mut line = format!("curl -X {method} \"{url}\"");
    if op["security"].as_array().is_none_or(|s| s.iter().any(|r| r.get("bearer").is_some())) {
        line.push_str(&format!(" \\\n  -H \"Authorization: Bearer ${var}\""));
    }
    // Bare bytes are offered beside a named format: show the named one.
    let contents = op["requestBody"]["content"].as_object();
    let content = contents.and_then(|c| {
        c.iter().find(|(t, _)| *t != "application/octet-stream" || c.len() == 1).or_else(|| c.iter().next())
    });
    if let Some((content_type, body)) = content {
        let example = &body["example"];
        line.push_str(&format!(" \\\n  -H \"Content-Type: {content_type}\""));
        let bytes = body["schema"]["format"] == "binary";
        match content_type.as_str() {
            "application/json" if !bytes => line.push_str(&format!(" \\\n  -d '{example}'")),
            "application/x-www-form-urlencoded" => {
                for (name, value) in example.as_object().into_iter().flatten() {
                    line.push_str(&format!(
                        " \\\n  --data-urlencode \"{name}={}\"",
                        value.as_str().unwrap_or_default()
                    ));
                }
            }
            other => line.push_str(&format!(" \\\n  --data-binary @{}", example_file(other))),
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_curl_line_quotes_so_the_shell_expands_the_token() {
        let op = json!({"security": [{"bearer": []}], "requestBody": {"content": {"application/json": {"example": {"name": "Ada"}}}}});
        let line = curl("http://localhost:8080", "PATCH", "/api/v1/me", &op);
        assert!(line.contains("-H \"Authorization: Bearer $KEYWARD_TOKEN\""), "{line}");
        assert!(line.contains("-d '{\"name\":\"Ada\"}'"), "{line}");
        let open = json!({"security": [{}]});
        assert!(!curl("http://x", "GET", "/api/v1/openapi.json", &open).contains("Authorization"));
    }

    #[test]
    fn path_parameters_take_example_values() {
        assert_eq!(
            example_path("PUT", "/api/v1/campaigns/{c}/sources/{s}/tokens/{m}"),
            "/api/v1/campaigns/spring/sources/web/tokens/form"
        );
    }
}
