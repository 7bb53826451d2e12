//! Every email Keyward sends. None carries a token or a password: links
//! carry single-use codes, token emails name the token key only.

use crate::email_templates;

/// An invitation: a single-use link to choose a password (72 hours).
pub struct Invitation {
    pub inviter: String,
    pub role: String,
    pub link: String,
    pub expires: String,
}
email_templates!(Invitation, "invitation", "email/invitation.txt", "email/invitation.html", |m| format!(
    "You are invited to Keyward by {}",
    m.inviter
));

/// A password reset link (1 hour).
pub struct PasswordReset {
    pub link: String,
    pub expires: String,
}
email_templates!(PasswordReset, "password_reset", "email/password_reset.txt", "email/password_reset.html", |_m| {
    "Reset your Keyward password".to_owned()
});

/// A profile API token was generated (a confirmation email).
pub struct ProfileTokenCreated {
    pub name: String,
    pub key: String,
    pub expires: String,
    pub profile_link: String,
}
email_templates!(
    ProfileTokenCreated,
    "profile_token_created",
    "email/profile_token_created.txt",
    "email/profile_token_created.html",
    |_m| "A new Keyward API token was created for your account".to_owned()
);

/// A profile API token was revoked: by its owner, by support, by an
/// administrator switching the option off, or by expiry.
pub struct ProfileTokenRevoked {
    pub name: String,
    pub key: String,
    /// Who or what revoked it, as a sentence fragment: "you", "expiry", ...
    pub by: String,
    pub reason: Option<String>,
    pub profile_link: String,
}
email_templates!(
    ProfileTokenRevoked,
    "profile_token_revoked",
    "email/profile_token_revoked.txt",
    "email/profile_token_revoked.html",
    |m| if m.by == "expiry" {
        "Your Keyward API token has expired and was deleted".to_owned()
    } else {
        "Your Keyward API token was revoked".to_owned()
    }
);

/// A profile API token expires soon (14 days and 1 day before).
pub struct ProfileTokenExpiring {
    pub name: String,
    pub key: String,
    pub expires: String,
    pub days: i64,
    pub profile_link: String,
}
email_templates!(
    ProfileTokenExpiring,
    "profile_token_expiring",
    "email/profile_token_expiring.txt",
    "email/profile_token_expiring.html",
    |m| if m.days <= 1 {
        "Your Keyward API token expires tomorrow".to_owned()
    } else {
        format!("Your Keyward API token expires in {} days", m.days)
    }
);

/// Support revoked, deactivated or reactivated a token: to its owner, or for
/// organisation and campaign tokens to the admins who manage them.
pub struct TokenNotice {
    pub name: String,
    pub key: String,
    pub kind: String,
    pub scope: String,
    /// "revoked", "deactivated", "reactivated".
    pub action: String,
    pub reason: String,
    pub link: String,
}
email_templates!(TokenNotice, "token_notice", "email/token_notice.txt", "email/token_notice.html", |m| format!(
    "Keyward token {} was {} by support",
    m.key, m.action
));

/// Every token of a user revoked at once (one email).
pub struct TokensRevokedBulk {
    pub name: String,
    pub keys: Vec<String>,
    pub reason: String,
}
email_templates!(
    TokensRevokedBulk,
    "tokens_revoked_bulk",
    "email/tokens_revoked_bulk.txt",
    "email/tokens_revoked_bulk.html",
    |m| format!("{} of your Keyward tokens were revoked", m.keys.len())
);

/// A destination paused after failing for days in a row (to its owner).
pub struct DestinationPaused {
    pub name: String,
    pub destination: String,
    pub campaign: String,
    pub url: String,
    pub since: String,
    pub last_error: String,
    pub link: String,
}
email_templates!(
    DestinationPaused,
    "destination_paused",
    "email/destination_paused.txt",
    "email/destination_paused.html",
    |m| format!("Webhook destination “{}” was paused", m.destination)
);

/// A token of any kind but the profile token expires soon (14 days and 1
/// day before): to its owner, or to the admins who manage it.
pub struct TokenExpiring {
    pub name: String,
    pub key: String,
    pub kind: String,
    pub scope: String,
    pub expires: String,
    pub days: i64,
    pub link: String,
}
email_templates!(
    TokenExpiring,
    "token_expiring",
    "email/token_expiring.txt",
    "email/token_expiring.html",
    |m| if m.days <= 1 {
        format!("Keyward token {} expires tomorrow", m.key)
    } else {
        format!("Keyward token {} expires in {} days", m.key, m.days)
    }
);

/// A leak report named a live token: where it was found and what Keyward
/// did about it.
pub struct TokenLeaked {
    pub name: String,
    pub key: String,
    pub kind: String,
    pub scope: String,
    pub url: String,
    pub source: String,
    /// "revoked" or "flagged".
    pub action: String,
    pub link: String,
}
email_templates!(TokenLeaked, "token_leaked", "email/token_leaked.txt", "email/token_leaked.html", |m| format!(
    "Keyward token {} was found in public",
    m.key
));
