//! The kinds of token and what a token's prefix says, and
//! the intake methods (form, ping, post) whose source tokens are three of
//! those kinds: the mapping between the two is written here, once. Every
//! kind shares one table and one code path; kinds differ in scope and policy.

use crate::text_enum;

text_enum! {
    /// Every kind of token.
    pub enum TokenKind {
        Global => "global",
        Campaign => "campaign",
        SourceForm => "source_form",
        SourcePing => "source_ping",
        SourcePost => "source_post",
        CampaignApi => "campaign_api",
        Personal => "personal",
        Profile => "profile",
        AccountPublic => "account_public",
        AccountPrivate => "account_private",
        /// A destination's webhook signing secret.
        Destination => "destination",
        /// A leak reporter's token: it may only report strings found in public.
        Reporter => "reporter",
    }
}

/// Every prefix is `kw_`, three letters and `_`.
pub const PREFIX_LEN: usize = 7;

impl TokenKind {
    /// The prefix that starts every token of this kind, so a scanner can
    /// tell what a leaked string is.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Global => "kw_glb_",
            Self::Campaign => "kw_cmp_",
            Self::SourceForm => "kw_frm_",
            Self::SourcePing => "kw_png_",
            Self::SourcePost => "kw_pst_",
            Self::CampaignApi => "kw_api_",
            Self::Personal => "kw_pat_",
            Self::Profile => "kw_usr_",
            Self::AccountPublic => "kw_pub_",
            Self::AccountPrivate => "kw_prv_",
            Self::Destination => "kw_whk_",
            Self::Reporter => "kw_rep_",
        }
    }

    pub fn from_prefix(token: &str) -> Option<Self> {
        let prefix = token.get(..PREFIX_LEN)?;
        Self::ALL.iter().copied().find(|k| k.prefix() == prefix)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Global => "Global",
            Self::Campaign => "Campaign",
            Self::SourceForm => "Source form",
            Self::SourcePing => "Source ping",
            Self::SourcePost => "Source post",
            Self::CampaignApi => "Campaign API",
            Self::Personal => "Personal",
            Self::Profile => "Profile API",
            Self::AccountPublic => "Account public",
            Self::AccountPrivate => "Account private",
            Self::Destination => "Destination",
            Self::Reporter => "Leak reporter",
        }
    }

    /// Retrievable kinds are kept sealed so that Show and Copy work later
    /// (a destination's secret, so that Keyward can sign with it; it is
    /// still shown only once); the others are shown once, at creation, and
    /// only their digest stays.
    pub fn retrievable(self) -> bool {
        matches!(
            self,
            Self::Global
                | Self::Campaign
                | Self::SourceForm
                | Self::SourcePing
                | Self::SourcePost
                | Self::CampaignApi
                | Self::AccountPublic
                | Self::Destination
        )
    }

    /// Kinds that act as a user, with that user's role.
    pub fn acts_as_user(self) -> bool {
        matches!(self, Self::Personal | Self::Profile)
    }

    /// The intake level tokens: one live token per scope, regenerated in place.
    pub fn is_level(self) -> bool {
        matches!(self, Self::Global | Self::Campaign) || self.intake_method().is_some()
    }

    /// Kinds whose one value many hold: the intake level tokens (given to
    /// every partner who sends, or embedded in a page's form) and the
    /// account public token (embedded in widgets). No single holder may
    /// revoke such a token for everyone (RFC 7009 refuses it).
    pub fn is_shared(self) -> bool {
        self.is_level() || self == Self::AccountPublic
    }

    /// Kinds whose token is replaced in place by Regenerate (the old one may
    /// keep working for a grace period).
    pub fn regenerable(self) -> bool {
        self.is_level()
            || matches!(
                self,
                Self::CampaignApi | Self::AccountPrivate | Self::Personal | Self::Destination | Self::Reporter
            )
    }

    /// The submission method a source token is for.
    pub fn intake_method(self) -> Option<IntakeMethod> {
        IntakeMethod::ALL.iter().copied().find(|m| m.token_kind() == self)
    }
}

text_enum! {
    /// How a lead is submitted to a source: a whole lead as a form post, or
    /// in two steps, a ping and then its post.
    pub enum IntakeMethod {
        Form => "form",
        Ping => "ping",
        Post => "post",
    }
}

impl IntakeMethod {
    /// The source token kind that guards this method.
    pub fn token_kind(self) -> TokenKind {
        match self {
            Self::Form => TokenKind::SourceForm,
            Self::Ping => TokenKind::SourcePing,
            Self::Post => TokenKind::SourcePost,
        }
    }

    /// As the Tokens tab of a source titles it.
    pub fn title(self) -> &'static str {
        match self {
            Self::Form => "Form Token",
            Self::Ping => "Ping Token",
            Self::Post => "Post Token",
        }
    }

    /// What the method's endpoint is for, as the Tokens tab explains it.
    pub fn help(self) -> &'static str {
        match self {
            Self::Form => "Form Submission API: leads submitted as a standard form post.",
            Self::Ping => "Ping API: the ping step of a ping-post flow.",
            Self::Post => "Post API: the post step of a ping-post flow.",
        }
    }
}

/// Only the key part of a string that looks like a token key (for searches
/// and Basic auth user names): the characters after a kind prefix, if any.
pub fn normalise_key(input: &str) -> &str {
    let input = input.trim();
    match TokenKind::from_prefix(input) {
        Some(_) => &input[PREFIX_LEN..],
        None => input,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_distinct_and_parse_back() {
        for kind in TokenKind::ALL {
            assert_eq!(kind.prefix().len(), PREFIX_LEN);
            assert_eq!(TokenKind::from_prefix(&format!("{}abc", kind.prefix())), Some(*kind));
        }
        assert_eq!(TokenKind::from_prefix("kw_xyz_abc"), None);
        assert_eq!(TokenKind::from_prefix("kw_"), None);
    }

    #[test]
    fn source_kinds_are_the_intake_methods() {
        let levels: Vec<TokenKind> = TokenKind::ALL.iter().copied().filter(|k| k.is_level()).collect();
        assert_eq!(
            levels,
            [
                TokenKind::Global,
                TokenKind::Campaign,
                TokenKind::SourceForm,
                TokenKind::SourcePing,
                TokenKind::SourcePost
            ]
        );
        for method in IntakeMethod::ALL {
            assert_eq!(method.token_kind().intake_method(), Some(*method));
        }
        assert_eq!(TokenKind::Personal.intake_method(), None);
    }

    #[test]
    fn keys_are_normalised() {
        assert_eq!(normalise_key(" kw_pat_AbCd1234 "), "AbCd1234");
        assert_eq!(normalise_key("AbCd1234"), "AbCd1234");
    }
}
