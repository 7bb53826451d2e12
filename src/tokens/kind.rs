use crate::text_enum;

text_enum! {
    /// Every kind of token (SPEC section 2). Kinds differ in scope and policy
    /// only: they share one table and one code path.
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
    }
}

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
        }
    }

    pub fn from_prefix(token: &str) -> Option<Self> {
        // Every prefix is `kw_` plus three letters plus `_`.
        let prefix = token.get(..7)?;
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
        }
    }

    /// Retrievable kinds are kept sealed so that Show and Copy work later;
    /// the others are shown once, at creation, and only their digest stays.
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
        )
    }

    /// Kinds that act as a user, with that user's role.
    pub fn acts_as_user(self) -> bool {
        matches!(self, Self::Personal | Self::Profile)
    }

    /// The intake level tokens: one live token per scope, regenerated in place.
    pub fn is_level(self) -> bool {
        matches!(self, Self::Global | Self::Campaign | Self::SourceForm | Self::SourcePing | Self::SourcePost)
    }

    /// The source token kinds, in screen order.
    pub const SOURCE: [TokenKind; 3] = [Self::SourceForm, Self::SourcePing, Self::SourcePost];
}

#[cfg(test)]
mod tests {
    use super::TokenKind;

    #[test]
    fn prefixes_are_distinct_and_parse_back() {
        for kind in TokenKind::ALL {
            assert_eq!(kind.prefix().len(), 7);
            assert_eq!(TokenKind::from_prefix(&format!("{}abc", kind.prefix())), Some(*kind));
        }
        assert_eq!(TokenKind::from_prefix("kw_xyz_abc"), None);
        assert_eq!(TokenKind::from_prefix("kw_"), None);
    }
}
