//! The structure of `src/`, checked: imports point down the layers of
//! ARCHITECTURE.md, no two modules import each other (directly or round a
//! circle), and the route layers never touch the database themselves.
//!
//! It reads the source: every `use` tree is expanded and every inline
//! `crate::…`/`super::…` path collected, each resolved to the deepest module
//! it names. Test modules (`#[cfg(test)]`, at the end of a file) are left
//! out: tests may reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Layers, top down. A module may import from its own top-level module and
/// from lower layers; within the entry layer (which nothing imports) and
/// the two lowest (small leaves), top-level modules may also import each
/// other, which the circle check still guards.
const LAYERS: &[(&str, &[&str])] = &[
    ("entry", &["cli", "startup", "jobs"]),
    ("routes", &["web", "api"]),
    ("rules", &["services"]),
    ("core", &["tokens", "mail", "webhook"]),
    ("data", &["models", "db", "schema"]),
    (
        "base",
        &[
            "domain",
            "edge",
            "error",
            "http",
            "crypto",
            "config",
            "clock",
            "telemetry",
            "metrics",
            "csv_util",
            "assets",
            "netlist",
            "text",
        ],
    ),
];

fn layer(top: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&top))
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// `src/web/campaigns/sources.rs` → `web::campaigns::sources`;
/// `src/web/mod.rs` → `web`.
fn module_of(path: &Path) -> String {
    let rel = path.strip_prefix(src()).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|l| l == "mod") {
        parts.pop();
    }
    parts.join("::")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without comments, string and char literals (their
/// contents replaced by spaces) and without its test module.
fn code_of(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    let b = text.as_bytes();
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'r' if (b.get(i + 1) == Some(&b'#') || b.get(i + 1) == Some(&b'"'))
                && !(i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) =>
            {
                let mut hashes = 0;
                let mut j = i + 1;
                while b.get(j) == Some(&b'#') {
                    hashes += 1;
                    j += 1;
                }
                if b.get(j) != Some(&b'"') {
                    out.push('r');
                    i += 1;
                    continue;
                }
                j += 1;
                let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
                while j < b.len() && !b[j..].starts_with(&close) {
                    j += 1;
                }
                i = j + close.len();
                out.push_str("\"\"");
            }
            b'"' => {
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            b'\'' => {
                // A char literal ('x', '\n', '\''), or a lifetime ('a).
                let end = if b.get(i + 1) == Some(&b'\\') {
                    b[i + 2..].iter().position(|&c| c == b'\'').map(|p| i + 2 + p)
                } else if b.get(i + 2) == Some(&b'\'') {
                    Some(i + 2)
                } else {
                    None
                };
                match end {
                    Some(e) => {
                        out.push_str("' '");
                        i = e + 1;
                    }
                    None => {
                        out.push('\'');
                        i += 1;
                    }
                }
            }
            c => {
                out.push(c as char);
                i += 1;
            }
        }
    }
    out
}

/// Expands one `use` tree (`a::b::{c, d::{e, self}}`) into full paths.
fn expand(prefix: &[String], tree: &str, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    if tree.is_empty() {
        return;
    }
    // Split at the top-level `{`.
    if let Some(open) = tree.find('{') {
        let head = tree[..open].trim().trim_end_matches("::");
        let mut path = prefix.to_vec();
        path.extend(head.split("::").map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned));
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&path, &inner[start..i], out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        expand(&path, &inner[start..], out);
    } else {
        let tree = tree.split(" as ").next().unwrap_or(tree);
        let mut path = prefix.to_vec();
        for seg in tree.split("::").map(str::trim) {
            if seg != "self" && seg != "*" && !seg.is_empty() {
                path.push(seg.to_owned());
            }
        }
        out.push(path);
    }
}

/// Every path a file's code names: its `use` trees, and inline
/// `crate::…`/`super::…` paths.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("use ") {
        let before = rest[..i].chars().last();
        let after = &rest[i + 4..];
        rest = after;
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let Some(end) = after.find(';') else { break };
        expand(&[], &after[..end], &mut paths);
    }
    for root in ["crate::", "super::"] {
        let mut rest = code;
        while let Some(i) = rest.find(root) {
            let before = rest[..i].chars().last();
            let tail = &rest[i..];
            let len = tail.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).unwrap_or(tail.len());
            // `pub(in crate::services)` is a visibility, not an import.
            let visibility = rest[..i].ends_with("pub(in ");
            if !visibility && !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                paths.push(tail[..len].split("::").filter(|s| !s.is_empty()).map(str::to_owned).collect());
            }
            rest = &tail[len.max(1)..];
        }
    }
    paths
}

/// The deepest module `path` names, seen from `module`; `None` for
/// external crates and the crate root.
fn resolve(module: &str, path: &[String], modules: &BTreeSet<String>) -> Option<String> {
    let here: Vec<&str> = if module.is_empty() { vec![] } else { module.split("::").collect() };
    let mut segs: Vec<String> = match path.first().map(String::as_str) {
        Some("crate") => path[1..].to_vec(),
        Some("super") => {
            let mut base: Vec<String> = here[..here.len().saturating_sub(1)].iter().map(|s| (*s).to_owned()).collect();
            let mut p = &path[1..];
            while p.first().is_some_and(|s| s == "super") {
                base.pop();
                p = &p[1..];
            }
            base.extend(p.iter().cloned());
            base
        }
        Some("self") => here.iter().map(|s| (*s).to_owned()).chain(path[1..].iter().cloned()).collect(),
        Some(first) => {
            // A child module of this one (`use campaigns::…` in web/mod.rs).
            let child = if module.is_empty() { first.to_owned() } else { format!("{module}::{first}") };
            if !modules.contains(&child) {
                return None;
            }
            here.iter().map(|s| (*s).to_owned()).chain(path.iter().cloned()).collect()
        }
        None => return None,
    };
    while !segs.is_empty() {
        let candidate = segs.join("::");
        if modules.contains(&candidate) {
            return Some(candidate);
        }
        segs.pop();
    }
    None
}

struct Source {
    code: BTreeMap<String, String>,
    edges: BTreeMap<String, BTreeSet<String>>,
}

fn load() -> Source {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files.retain(|f| !f.ends_with("main.rs") && !f.ends_with("lib.rs"));
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(f)).collect();
    let mut code = BTreeMap::new();
    let mut edges = BTreeMap::new();
    for f in &files {
        let module = module_of(f);
        let text = code_of(&std::fs::read_to_string(f).unwrap());
        let targets: BTreeSet<String> =
            paths_in(&text).iter().filter_map(|p| resolve(&module, p, &modules)).filter(|t| *t != module).collect();
        edges.insert(module.clone(), targets);
        code.insert(module, text);
    }
    Source { code, edges }
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

#[test]
fn imports_point_down_the_layers() {
    let source = load();
    let mut wrong = Vec::new();
    for (from, targets) in &source.edges {
        let Some(lf) = layer(top(from)) else {
            wrong.push(format!("{from}: its top-level module is in no layer of ARCHITECTURE.md"));
            continue;
        };
        for to in targets {
            let Some(lt) = layer(top(to)) else { continue };
            let same_top = top(from) == top(to);
            let allowed = lt > lf || same_top || (lt == lf && (lf == 0 || lf >= LAYERS.len() - 2));
            if !allowed {
                wrong.push(format!("{from} ({}) imports {to} ({})", LAYERS[lf].0, LAYERS[lt].0));
            }
        }
    }
    assert!(wrong.is_empty(), "imports that point up or across:\n{}", wrong.join("\n"));
}

#[test]
fn no_two_modules_import_each_other_even_round_a_circle() {
    let source = load();
    // Tarjan's strongly connected components.
    struct Walk<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        circles: Vec<Vec<&'a str>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.edges.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    self.low.insert(v, self.low[v].min(lw));
                } else if self.on_stack.contains(w) {
                    let iw = self.index[w];
                    self.low.insert(v, self.low[v].min(iw));
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    self.circles.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        edges: &source.edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        circles: Vec::new(),
    };
    for v in source.edges.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    let circles: Vec<String> = walk.circles.iter().map(|c| c.join(" ↔ ")).collect();
    assert!(circles.is_empty(), "import circles:\n{}", circles.join("\n"));
}

#[test]
fn routes_never_touch_the_database_themselves() {
    let source = load();
    let mut found = Vec::new();
    for (module, code) in &source.code {
        if !matches!(top(module), "web" | "api") {
            continue;
        }
        for needle in ["crate::models", "crate::db", "crate::schema", "diesel::", ".db(", "state.db"] {
            if code.contains(needle) {
                found.push(format!("{module} uses {needle}"));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_intake_methods_are_spelled_once() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut found = Vec::new();
    for f in files {
        let module = module_of(&f);
        if module == "domain::token_kind" {
            continue;
        }
        let raw = std::fs::read_to_string(&f).unwrap();
        let text = match raw.find("#[cfg(test)]") {
            Some(i) => &raw[..i],
            None => &raw,
        };
        for method in ["\"form\"", "\"ping\"", "\"post\""] {
            // `"post": {…}` in an OpenAPI document is the HTTP method.
            let as_value = text.match_indices(method).any(|(i, _)| !text[i + method.len()..].starts_with(':'));
            if as_value {
                found.push(format!("{module} spells {method}"));
            }
        }
    }
    assert!(found.is_empty(), "form/ping/post outside domain::token_kind:\n{}", found.join("\n"));
}

#[test]
fn the_checker_sees_what_it_should() {
    // The parser itself: a use tree, an inline path, a comment and a string.
    let code = code_of(
        "use crate::a::{b, c::{d, self}};\n// use crate::hidden;\nlet s = \"crate::in_string\";\nlet x = super::e::f();\n",
    );
    let paths = paths_in(&code);
    let joined: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    for want in ["crate::a::b", "crate::a::c::d", "crate::a::c", "super::e::f"] {
        assert!(joined.contains(&want.to_owned()), "{want} in {joined:?}");
    }
    assert!(!joined.iter().any(|p| p.contains("hidden") || p.contains("in_string")), "{joined:?}");
    let source = load();
    assert!(source.edges["web::auth"].contains("services::accounts"), "web::auth uses services::accounts");
}

/// The areas of `services/`, top down: an area may import from its own
/// modules, from the areas below it and from the ground floor (the files
/// directly in `services/`), never from an area above.
const SERVICE_AREAS: &[&str] =
    &["leads", "docs", "delivery", "users", "credentials", "events", "campaigns", "accounts"];

#[test]
fn service_areas_import_only_areas_below_them() {
    let source = load();
    let area = |module: &str| -> Option<usize> {
        let mut parts = module.split("::");
        (parts.next() == Some("services")).then_some(())?;
        let name = parts.next()?;
        SERVICE_AREAS.iter().position(|a| *a == name)
    };
    let folders: Vec<String> = std::fs::read_dir(src().join("services"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for folder in &folders {
        assert!(SERVICE_AREAS.contains(&folder.as_str()), "services/{folder}/ is an area missing from SERVICE_AREAS");
    }
    let mut wrong = Vec::new();
    for (from, targets) in &source.edges {
        let Some(af) = area(from) else {
            // The ground floor imports no area.
            if from.starts_with("services") && from != "services" {
                for to in targets.iter().filter(|t| area(t).is_some()) {
                    wrong.push(format!("{from} (ground floor) imports {to}"));
                }
            }
            continue;
        };
        for to in targets {
            if let Some(at) = area(to)
                && at < af
            {
                wrong.push(format!(
                    "{from} ({}) imports {to} ({}), an area above it",
                    SERVICE_AREAS[af], SERVICE_AREAS[at]
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "service imports against the area order:\n{}", wrong.join("\n"));
}

/// A file is read whole by whoever changes it: none over 700 lines.
#[test]
fn no_source_file_is_over_700_lines() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let lines = std::fs::read_to_string(f).unwrap().lines().count();
            (lines > 700).then(|| format!("{} ({lines} lines)", f.display()))
        })
        .collect();
    assert!(files.len() > 100, "the checker read the source: {} files", files.len());
    assert!(long.is_empty(), "files over 700 lines: {long:?}");
}

/// The functions of `code` whose parameters name `param`, each with its
/// body.
fn functions_taking<'a>(code: &'a str, param: &str) -> Vec<(&'a str, &'a str)> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("fn ") {
        let after = &rest[i + 3..];
        let name_end = after.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(after.len());
        let name = &after[..name_end];
        let Some(open) = after.find('{') else { break };
        let signature = &after[..open];
        let mut depth = 0;
        let mut end = open;
        for (j, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + j;
                        break;
                    }
                }
                _ => {}
            }
        }
        if signature.contains(param) && !signature.contains(';') {
            found.push((name, &after[open..end]));
        }
        rest = &after[open..];
    }
    found
}

/// A service function that writes more than once takes the transaction
/// type (`&mut Tx`), so it cannot be called outside one.
#[test]
fn writers_of_several_statements_take_the_transaction() {
    // What a model's writer is called, and the writers of the ground floor.
    const WRITES: &[&str] = &[
        "::insert",
        "::update",
        "::delete",
        "::set_",
        "::mark",
        "::retire",
        "::revoke",
        "::remove",
        "insert_into",
        "record(",
        "enqueue(",
    ];
    let mut files = Vec::new();
    rust_files(&src().join("services"), &mut files);
    let mut wrong = Vec::new();
    let mut seen = 0;
    for f in &files {
        let code = code_of(&std::fs::read_to_string(f).unwrap());
        for (name, body) in functions_taking(&code, "&mut PgConnection") {
            seen += 1;
            let writes: usize = WRITES.iter().map(|w| body.matches(w).count()).sum();
            if writes >= 2 {
                wrong.push(format!("{}: fn {name} ({writes} writes)", module_of(f)));
            }
        }
    }
    assert!(seen > 20, "the checker found the functions taking a connection: {seen}");
    assert!(wrong.is_empty(), "writers of several statements on a bare connection:\n{}", wrong.join("\n"));
}

/// The code explains itself: no comment sends the reader to a document
/// outside the repository (the help-centre seeds, the shared SPEC).
#[test]
fn comments_cite_nothing_outside_the_repository() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut cited = Vec::new();
    for f in &files {
        for (n, line) in std::fs::read_to_string(f).unwrap().lines().enumerate() {
            let comment = line.trim_start();
            if !comment.starts_with("//") {
                continue;
            }
            let outside = ["seed 00", "SPEC", "../shared", "shared/"];
            if outside.iter().any(|o| comment.contains(o)) {
                cited.push(format!("{}:{}: {}", f.display(), n + 1, comment));
            }
        }
    }
    assert!(cited.is_empty(), "comments citing documents outside the repository:\n{}", cited.join("\n"));
}
