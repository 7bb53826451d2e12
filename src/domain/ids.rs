//! Typed ids: a function or a view that takes a `CampaignId` and a
//! `FieldId` cannot be handed them the wrong way round. Each is an `i64`
//! on the wire (`#[serde(transparent)]`), in a path segment as in JSON.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                Self(id)
            }
        }
    )*};
}

ids! {
    /// A campaign.
    CampaignId;
    /// A source of a campaign.
    SourceId;
    /// A field of a campaign.
    FieldId;
    /// A select field of a campaign.
    SelectId;
    /// An option of a select field.
    OptionId;
    /// A lead status of a campaign.
    StatusId;
    /// A filter of a campaign.
    FilterId;
    /// A relation between two campaigns.
    RelationId;
    /// A lead.
    LeadId;
    /// A file attached to a lead.
    FileId;
    /// A token of any kind.
    TokenId;
    /// A user: a person or an API user.
    UserId;
    /// A webhook destination.
    DestinationId;
    /// One event of a destination's delivery log.
    DeliveryId;
    /// An import of leads.
    ImportId;
    /// An entry of the audit log.
    AuditId;
    /// A queued mail.
    MailId;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_a_bare_number_on_the_wire() {
        assert_eq!(serde_json::to_string(&CampaignId(7)).unwrap(), "7");
        assert_eq!(serde_json::from_str::<LeadId>("42").unwrap(), LeadId(42));
        assert!(serde_json::from_str::<LeadId>("\"42\"").is_err());
    }
}
