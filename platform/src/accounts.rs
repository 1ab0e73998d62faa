//! Readers' accounts: argon2 password hashes, session cookies, and the CSRF
//! tokens that make a follow the reader's own click on the platform's page.

use crate::links::Secret;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "vitrine_session";
/// How long a session lasts (30 days).
pub const SESSION_SECONDS: u64 = 30 * 24 * 3600;

/// An argon2id hash (PHC string) of `password`, with a fresh random salt.
pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the OS random source is available");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 accepts any password")
        .to_string()
}

/// Whether `password` matches a stored hash (constant time inside argon2).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A new session token for the cookie (128 random bits, hex).
pub fn new_session_token() -> String {
    crate::links::new_click_id()
}

/// What the database keeps of a session token: its SHA-256, so that a copy
/// of the database does not hand out live sessions.
pub fn session_key(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The CSRF token for a session: an HMAC of the session key, so it is valid
/// only with that session's cookie and cannot be made without the secret.
pub fn csrf_token(secret: &Secret, session_key: &str) -> String {
    secret.mac_hex(&["csrf\n", session_key].concat())
}

/// Whether `token` is this session's CSRF token (constant time).
pub fn csrf_ok(secret: &Secret, session_key: &str, token: &str) -> bool {
    secret.verify_hex(&["csrf\n", session_key].concat(), token)
}

/// The session token in a `Cookie` header.
pub fn session_from_cookies(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, v)| v)
}

/// `Set-Cookie` for a new session: not readable by scripts, sent on
/// top-level navigations from other sites (so the intent page opened from a
/// blog sees it) but not on their subrequests or POSTs, `Secure` over https.
pub fn session_cookie(token: &str, https: bool) -> String {
    let secure = if https { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={SESSION_SECONDS}{secure}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hashed_with_argon2_and_salted() {
        let a = hash_password("vitrine-demo");
        let b = hash_password("vitrine-demo");
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "a fresh salt each time");
        assert!(!a.contains("vitrine-demo"));
        assert!(verify_password("vitrine-demo", &a));
        assert!(!verify_password("vitrine-dem0", &a));
        assert!(!verify_password("vitrine-demo", "not a hash"));
    }

    #[test]
    fn csrf_tokens_are_bound_to_the_session_and_the_secret() {
        let secret = Secret::fixed(3);
        let key = session_key("abc");
        let token = csrf_token(&secret, &key);
        assert!(csrf_ok(&secret, &key, &token));
        assert!(
            !csrf_ok(&secret, &session_key("other"), &token),
            "another session's token"
        );
        assert!(
            !csrf_ok(&Secret::fixed(4), &key, &token),
            "another platform's secret"
        );
        assert!(!csrf_ok(&secret, &key, ""));
        assert!(!csrf_ok(&secret, &key, "zz"));
    }

    #[test]
    fn the_session_cookie_is_http_only_and_lax() {
        assert_eq!(
            session_cookie("t", false),
            "vitrine_session=t; HttpOnly; SameSite=Lax; Path=/; Max-Age=2592000"
        );
        assert!(session_cookie("t", true).ends_with("; Secure"));
        assert_eq!(
            session_from_cookies("a=1; vitrine_session=tok; b=2"),
            Some("tok")
        );
        assert_eq!(session_from_cookies("a=1"), None);
    }
}
