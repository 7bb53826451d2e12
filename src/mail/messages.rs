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
email_templates!(
    Invitation,
    "invitation",
    "email/invitation.txt",
    "email/invitation.html",
    |m| format!("You are invited to Keyward by {}", m.inviter)
);

/// A password reset link (1 hour).
pub struct PasswordReset {
    pub link: String,
    pub expires: String,
}
email_templates!(
    PasswordReset,
    "password_reset",
    "email/password_reset.txt",
    "email/password_reset.html",
    |_m| "Reset your Keyward password".to_owned()
);
