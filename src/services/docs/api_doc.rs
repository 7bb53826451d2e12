//! The shell examples `/docs/api` shows, written from the API's OpenAPI
//! document (an operation as JSON): the path filled with example values,
//! the query parameters that carry an example, and the body's example in
//! the content type the operation reads. Double quotes throughout, so the
//! shell expands `$KEYWARD_TOKEN`.

use serde_json::Value;

use crate::domain::IntakeMethod;

/// The value an example puts in a path parameter.
pub fn example_value(name: &str) -> &'static str {
    match name {
        "c" => "spring",
        "s" => "web",
        "m" => IntakeMethod::Form.as_str(),
        "item" => "sold",
        "option" => "VENDOR_NORTH",
        "key" => "kw_pat_AbCd1234",
        "did" => "7",
        _ => "42",
    }
}

/// `/api/v1/campaigns/{c}` → `/api/v1/campaigns/spring`.
pub fn example_path(path: &str) -> String {
    path.split('/')
        .map(|seg| match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => example_value(name).to_owned(),
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
    let mut url = format!("{base}{}", example_path(path));
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
    let content = op["requestBody"]["content"].as_object().and_then(|c| c.iter().next());
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
            example_path("/api/v1/campaigns/{c}/sources/{s}/tokens/{m}"),
            "/api/v1/campaigns/spring/sources/web/tokens/form"
        );
    }
}
