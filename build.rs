//! Re-embed migrations and templates whenever they change: `embed_migrations!`
//! and askama read them at compile time, and cargo does not know that.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=templates");
}
