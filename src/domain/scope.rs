//! What a token is for, as one type: each variant carries exactly what its
//! kinds need, so a token cannot name a source without its campaign,
//! permissions without a campaign, or a destination without its owner.
//! The tokens table keeps nullable columns; [`Scope::columns`] and
//! [`Scope::from_columns`] are the one place that maps between them.

use super::ids::{CampaignId, DestinationId, FilterId, SourceId, UserId};
use super::token_kind::TokenKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// The organisation's: the global intake token, the account public
    /// token, a leak reporter's token.
    #[default]
    Organisation,
    /// A user's: their personal or profile token, or an account private
    /// token assigned to them.
    User(UserId),
    /// A campaign's intake token.
    Campaign(CampaignId),
    /// A source's intake token (its kind names the method).
    Source { campaign: CampaignId, source: SourceId },
    /// A campaign API token: what it may do, and the filter every lead it
    /// touches must match.
    CampaignApi { campaign: CampaignId, read: bool, write: bool, filter: Option<FilterId> },
    /// A destination's signing secret, owned by the destination's creator.
    Destination { owner: UserId, campaign: CampaignId, destination: DestinationId },
}

/// The tokens table's scope columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScopeColumns {
    pub user_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub source_id: Option<i64>,
    pub destination_id: Option<i64>,
    pub can_read: bool,
    pub can_write: bool,
    pub filter_id: Option<i64>,
}

impl Scope {
    /// Whether a token of `kind` may have this scope.
    pub fn fits(&self, kind: TokenKind) -> bool {
        use TokenKind as K;
        match self {
            Self::Organisation => matches!(kind, K::Global | K::AccountPublic | K::Reporter),
            Self::User(_) => matches!(kind, K::Personal | K::Profile | K::AccountPrivate),
            Self::Campaign(_) => kind == K::Campaign,
            Self::Source { .. } => matches!(kind, K::SourceForm | K::SourcePing | K::SourcePost),
            Self::CampaignApi { .. } => kind == K::CampaignApi,
            Self::Destination { .. } => kind == K::Destination,
        }
    }

    /// The columns a token of this scope is stored with.
    pub fn columns(&self) -> ScopeColumns {
        let none = ScopeColumns::default();
        match *self {
            Self::Organisation => none,
            Self::User(u) => ScopeColumns { user_id: Some(u.0), ..none },
            Self::Campaign(c) => ScopeColumns { campaign_id: Some(c.0), ..none },
            Self::Source { campaign, source } => {
                ScopeColumns { campaign_id: Some(campaign.0), source_id: Some(source.0), ..none }
            }
            Self::CampaignApi { campaign, read, write, filter } => ScopeColumns {
                campaign_id: Some(campaign.0),
                can_read: read,
                can_write: write,
                filter_id: filter.map(|f| f.0),
                ..none
            },
            Self::Destination { owner, campaign, destination } => ScopeColumns {
                user_id: Some(owner.0),
                campaign_id: Some(campaign.0),
                destination_id: Some(destination.0),
                ..none
            },
        }
    }

    /// The scope of a stored token of `kind`; `None` when its columns do
    /// not make one (a row no issuer writes).
    pub fn from_columns(kind: TokenKind, c: ScopeColumns) -> Option<Self> {
        use TokenKind as K;
        let scope = match kind {
            K::Global | K::AccountPublic | K::Reporter => Self::Organisation,
            K::Personal | K::Profile | K::AccountPrivate => Self::User(UserId(c.user_id?)),
            K::Campaign => Self::Campaign(CampaignId(c.campaign_id?)),
            K::SourceForm | K::SourcePing | K::SourcePost => {
                Self::Source { campaign: CampaignId(c.campaign_id?), source: SourceId(c.source_id?) }
            }
            K::CampaignApi => Self::CampaignApi {
                campaign: CampaignId(c.campaign_id?),
                read: c.can_read,
                write: c.can_write,
                filter: c.filter_id.map(FilterId),
            },
            K::Destination => Self::Destination {
                owner: UserId(c.user_id?),
                campaign: CampaignId(c.campaign_id?),
                destination: DestinationId(c.destination_id?),
            },
        };
        Some(scope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scope_reads_back_from_its_columns() {
        let scopes = [
            (TokenKind::Global, Scope::Organisation),
            (TokenKind::Personal, Scope::User(UserId(7))),
            (TokenKind::Campaign, Scope::Campaign(CampaignId(3))),
            (TokenKind::SourcePing, Scope::Source { campaign: CampaignId(3), source: SourceId(9) }),
            (
                TokenKind::CampaignApi,
                Scope::CampaignApi { campaign: CampaignId(3), read: true, write: false, filter: Some(FilterId(2)) },
            ),
            (
                TokenKind::Destination,
                Scope::Destination { owner: UserId(7), campaign: CampaignId(3), destination: DestinationId(4) },
            ),
        ];
        for (kind, scope) in scopes {
            assert!(scope.fits(kind), "{scope:?} fits {kind:?}");
            assert_eq!(Scope::from_columns(kind, scope.columns()), Some(scope));
        }
    }

    #[test]
    fn a_scope_fits_only_its_kinds_and_partial_columns_make_none() {
        assert!(!Scope::Organisation.fits(TokenKind::Personal));
        assert!(!Scope::User(UserId(1)).fits(TokenKind::CampaignApi));
        assert!(!Scope::Campaign(CampaignId(1)).fits(TokenKind::SourceForm));
        // A source token without its source, a personal one without its user.
        let campaign_only = ScopeColumns { campaign_id: Some(1), ..ScopeColumns::default() };
        assert_eq!(Scope::from_columns(TokenKind::SourceForm, campaign_only), None);
        assert_eq!(Scope::from_columns(TokenKind::Personal, campaign_only), None);
    }
}
