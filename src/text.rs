//! Messages written for people may quote a slug or a key between
//! backticks (they read well in JSON answers and logs); pages show those
//! as `<code>`, never as literal backticks.

/// `text`, HTML-escaped, with each `` `quoted` `` span as `<code>quoted</code>`.
pub fn code_spans(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_code = false;
    // An odd last backtick stays a backtick.
    let closable = text.matches('`').count() / 2 * 2;
    let mut seen = 0;
    for c in text.chars() {
        match c {
            '`' if seen < closable => {
                seen += 1;
                out.push_str(if in_code { "</code>" } else { "<code>" });
                in_code = !in_code;
            }
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::code_spans;

    #[test]
    fn backticks_become_code_and_the_rest_is_escaped() {
        assert_eq!(code_spans("Field `email` added."), "Field <code>email</code> added.");
        assert_eq!(code_spans("<b>`x`</b>"), "&lt;b&gt;<code>x</code>&lt;/b&gt;");
        assert_eq!(code_spans("a ` b"), "a ` b");
        assert_eq!(code_spans("`<script>`"), "<code>&lt;script&gt;</code>");
    }
}
