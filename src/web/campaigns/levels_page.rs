//! The page of level cards that two campaign screens share: the campaign's
//! Token Management (one card) and a source's Tokens tab (three cards and
//! the source's details form).

use askama::Template;

use super::header::Header;
use crate::domain::SourceKind;
use crate::error::FieldErrors;
use crate::web::level_card::LevelCard;
use crate::web::session::Layout;

#[derive(Template)]
#[template(path = "campaigns/tokens.html")]
pub struct LevelsPage {
    pub layout: Layout,
    pub header: Header,
    pub heading: String,
    pub intro: String,
    pub cards: Vec<LevelCard>,
    pub banner: Option<String>,
    pub source: Option<SourceEdit>,
}

/// The source details form on its Tokens tab.
pub struct SourceEdit {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub kind: SourceKind,
    pub kinds: &'static [SourceKind],
    pub errors: FieldErrors,
}
