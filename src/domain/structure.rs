//! The words of a campaign's structure: what a field holds and what kind of
//! traffic a source is.

use crate::text_enum;

text_enum! {
    /// The kinds of traffic source.
    pub enum SourceKind {
        CustomSource => "CS",
        MarketingPartner => "MP",
        MediaChannel => "MC",
    }
}

impl SourceKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::CustomSource => "Custom Source",
            Self::MarketingPartner => "Marketing Partner",
            Self::MediaChannel => "Media Channel",
        }
    }
}

text_enum! {
    /// What a field holds; intake validates values by it.
    pub enum FieldType {
        Text => "text",
        Email => "email",
        Phone => "phone",
        Number => "number",
        Date => "date",
    }
}

/// The largest magnitude a number field holds: 2^53 - 1, what every JSON
/// client (JavaScript's included) reads back exactly. PostgreSQL itself
/// would take more, but a value it stores must also read back: near the
/// limits of a 64-bit float, its decimal form does not.
pub const NUMBER_MAX: f64 = 9_007_199_254_740_991.0;

impl FieldType {
    pub fn label(self) -> &'static str {
        match self {
            Self::Text => "Text",
            Self::Email => "Email",
            Self::Phone => "Phone",
            Self::Number => "Number",
            Self::Date => "Date (YYYY-MM-DD)",
        }
    }
}

text_enum! {
    /// What deleting a lead does to the relations that point at it.
    pub enum OnDelete {
        /// Refused while any lead links to it.
        Restrict => "restrict",
        /// The links go; the leads that had them stay.
        Unlink => "unlink",
    }
}

impl OnDelete {
    pub fn label(self) -> &'static str {
        match self {
            Self::Restrict => "refuse while linked to",
            Self::Unlink => "unlink",
        }
    }
}

text_enum! {
    /// What a mailed single-use link is for.
    pub enum LinkPurpose {
        Invite => "invite",
        Reset => "reset",
    }
}
