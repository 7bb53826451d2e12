//! The levels of lead authentication and the order in which
//! they decide a submission: the one place that maps a level to its token
//! kind and scope.

use super::ids::{CampaignId, SourceId};
use super::role::Permission;
use super::scope::Scope;
use super::token_kind::{IntakeMethod, TokenKind};

/// One level of lead authentication: the organisation's global token, a
/// campaign's token, or a source's token for one method. Each level has an
/// enable switch and at most one live token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    Global,
    Campaign(i64),
    Source { campaign_id: i64, source_id: i64, method: IntakeMethod },
}

impl Level {
    /// The kind of the level's token.
    pub fn kind(self) -> TokenKind {
        match self {
            Self::Global => TokenKind::Global,
            Self::Campaign(_) => TokenKind::Campaign,
            Self::Source { method, .. } => method.token_kind(),
        }
    }

    /// `global`, `campaign` or `source`: the `Keyward-Auth-Level` header.
    pub fn name(self) -> &'static str {
        match self {
            Self::Global => "global",
            Self::Campaign(_) => "campaign",
            Self::Source { .. } => "source",
        }
    }

    /// Who may switch the level and manage its token.
    pub fn permission(self) -> Permission {
        match self {
            Self::Global => Permission::ManageOrgTokens,
            Self::Campaign(_) | Self::Source { .. } => Permission::ManageCampaigns,
        }
    }

    /// The (campaign, source) the level's token is scoped to.
    pub fn scope(self) -> (Option<i64>, Option<i64>) {
        match self {
            Self::Global => (None, None),
            Self::Campaign(c) => (Some(c), None),
            Self::Source { campaign_id, source_id, .. } => (Some(campaign_id), Some(source_id)),
        }
    }

    /// The scope of the level's token.
    pub fn token_scope(self) -> Scope {
        match self {
            Self::Global => Scope::Organisation,
            Self::Campaign(c) => Scope::Campaign(CampaignId(c)),
            Self::Source { campaign_id, source_id, .. } => {
                Scope::Source { campaign: CampaignId(campaign_id), source: SourceId(source_id) }
            }
        }
    }

    pub fn campaign_id(self) -> Option<i64> {
        self.scope().0
    }

    /// The intake order for a request with `method` to a source
    /// of a campaign: the source's token for the method, else the campaign
    /// token, else the global token, else none. The first level that is on
    /// decides.
    pub fn deciding(switches: LevelSwitches, campaign_id: i64, source_id: i64, method: IntakeMethod) -> Option<Self> {
        if switches.source {
            Some(Self::Source { campaign_id, source_id, method })
        } else if switches.campaign {
            Some(Self::Campaign(campaign_id))
        } else if switches.global {
            Some(Self::Global)
        } else {
            None
        }
    }

    /// Whether a token of `kind` scoped to (`campaign_id`, `source_id`) is
    /// this level's token.
    pub fn accepts(self, kind: TokenKind, campaign_id: Option<i64>, source_id: Option<i64>) -> bool {
        if kind != self.kind() {
            return false;
        }
        match self {
            Self::Global => true,
            Self::Campaign(c) => campaign_id == Some(c),
            Self::Source { source_id: s, .. } => source_id == Some(s),
        }
    }
}

/// Which levels are on for one request: the source's switch for the
/// method, the campaign's and the organisation's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LevelSwitches {
    pub source: bool,
    pub campaign: bool,
    pub global: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_level_that_is_on_decides() {
        let on = |source, campaign, global| LevelSwitches { source, campaign, global };
        let m = IntakeMethod::Ping;
        let source = Level::Source { campaign_id: 1, source_id: 2, method: m };
        assert_eq!(Level::deciding(on(true, true, true), 1, 2, m), Some(source));
        assert_eq!(Level::deciding(on(false, true, true), 1, 2, m), Some(Level::Campaign(1)));
        assert_eq!(Level::deciding(on(false, false, true), 1, 2, m), Some(Level::Global));
        assert_eq!(Level::deciding(on(false, false, false), 1, 2, m), None);
    }

    #[test]
    fn a_level_accepts_only_its_own_token() {
        let source = Level::Source { campaign_id: 1, source_id: 2, method: IntakeMethod::Form };
        assert!(source.accepts(TokenKind::SourceForm, Some(1), Some(2)));
        assert!(!source.accepts(TokenKind::SourcePing, Some(1), Some(2)), "another method");
        assert!(!source.accepts(TokenKind::SourceForm, Some(1), Some(3)), "another source");
        assert!(!source.accepts(TokenKind::Campaign, Some(1), None), "a broader level");
        assert!(Level::Campaign(1).accepts(TokenKind::Campaign, Some(1), None));
        assert!(!Level::Campaign(1).accepts(TokenKind::Campaign, Some(9), None));
        assert!(Level::Global.accepts(TokenKind::Global, None, None));
        assert!(!Level::Global.accepts(TokenKind::Personal, None, None));
    }

    #[test]
    fn methods_map_to_their_token_kinds() {
        assert_eq!(IntakeMethod::Form.token_kind(), TokenKind::SourceForm);
        assert_eq!(IntakeMethod::Ping.token_kind(), TokenKind::SourcePing);
        assert_eq!(IntakeMethod::Post.token_kind(), TokenKind::SourcePost);
        assert_eq!("ping".parse::<IntakeMethod>(), Ok(IntakeMethod::Ping));
        assert!("put".parse::<IntakeMethod>().is_err());
    }
}
