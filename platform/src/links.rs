//! Signed redirect links (`/r/{token}`): for hosts that block scripts or
//! beacons. A token names an item, its creator, a placement and a click id,
//! signed with the platform's secret, so `/r/` can only ever send a reader to
//! that item's resolved partner page: it is not an open redirect.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::path::Path;

type HmacSha256 = Hmac<Sha256>;

/// What a token says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    pub item_id: String,
    pub creator_id: String,
    pub placement_id: String,
    pub click_id: String,
}

/// Why a token was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    /// Not `payload.signature` in base64url, or a payload of the wrong shape.
    Malformed,
    /// The signature does not match: tampered, or signed with another secret.
    BadSignature,
}

/// The platform's signing secret: 32 random bytes, created on first start in
/// the data directory (readable by the owner only) and kept across restarts,
/// so links already handed out stay valid.
pub struct Secret([u8; 32]);

impl Secret {
    /// A secret of these bytes (the one the scale configuration's
    /// instances share, kept in PostgreSQL).
    pub fn from_bytes(bytes: [u8; 32]) -> Secret {
        Secret(bytes)
    }

    /// The bytes of the secret in `dir` if there is one, else fresh random
    /// ones (a first scale instance keeps the secret an embedded platform
    /// signed with, so its links stay valid).
    pub fn bytes_in_or_fresh(dir: &Path) -> std::io::Result<[u8; 32]> {
        if dir.join("secret.key").exists() {
            return Secret::load_or_create(dir).map(|s| s.0);
        }
        random_key()
    }

    pub fn load_or_create(dir: &Path) -> std::io::Result<Secret> {
        let path = dir.join("secret.key");
        if let Ok(text) = std::fs::read_to_string(&path) {
            let bytes = hex_bytes(text.trim())
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| {
                    std::io::Error::other(format!("{} is not 64 hex digits", path.display()))
                })?;
            return Ok(Secret(bytes));
        }
        let bytes = random_key()?;
        let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        write_private(&path, &text)?;
        Ok(Secret(bytes))
    }

    #[cfg(test)]
    pub fn fixed(byte: u8) -> Secret {
        Secret([byte; 32])
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.0).expect("HMAC takes keys of any length")
    }

    /// The HMAC of `message`, in hex.
    pub fn mac_hex(&self, message: &str) -> String {
        let mut mac = self.mac();
        mac.update(message.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Whether `hex` is the HMAC of `message` (constant time).
    pub fn verify_hex(&self, message: &str, hex: &str) -> bool {
        let Some(bytes) = hex_bytes(hex) else {
            return false;
        };
        let mut mac = self.mac();
        mac.update(message.as_bytes());
        mac.verify_slice(&bytes).is_ok()
    }

    /// `base64url(payload).base64url(hmac)`.
    pub fn sign(&self, claims: &Claims) -> String {
        let payload = [
            &claims.item_id,
            &claims.creator_id,
            &claims.placement_id,
            &claims.click_id,
        ]
        .map(|s| s.as_str())
        .join("\n");
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    }

    /// The claims of a token this platform signed (constant-time check).
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let (payload, signature) = token.split_once('.').ok_or(TokenError::Malformed)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| TokenError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        let mut mac = self.mac();
        mac.update(&payload);
        mac.verify_slice(&signature)
            .map_err(|_| TokenError::BadSignature)?;
        let payload = String::from_utf8(payload).map_err(|_| TokenError::Malformed)?;
        let mut fields = payload.split('\n').map(str::to_owned);
        let (Some(item_id), Some(creator_id), Some(placement_id), Some(click_id), None) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            return Err(TokenError::Malformed);
        };
        Ok(Claims {
            item_id,
            creator_id,
            placement_id,
            click_id,
        })
    }
}

/// 32 fresh random bytes: a signing key, a day's salt.
pub fn random_key() -> std::io::Result<[u8; 32]> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(bytes)
}

/// A fresh random 128-bit click id, as 32 hex digits (the SDK's format).
pub fn new_click_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes `text` spells, two hex digits each (`None` for anything else).
pub(crate) fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(text.get(i * 2..i * 2 + 2)?, 16).ok())
        .collect()
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims {
            item_id: "itm_1".into(),
            creator_id: "cr_1".into(),
            placement_id: "blog.example".into(),
            click_id: new_click_id(),
        }
    }

    #[test]
    fn a_signed_token_verifies_to_its_claims() {
        let secret = Secret::fixed(7);
        let c = claims();
        assert_eq!(secret.verify(&secret.sign(&c)), Ok(c));
    }

    #[test]
    fn tampering_anywhere_is_detected() {
        let secret = Secret::fixed(7);
        let token = secret.sign(&claims());
        let (payload, signature) = token.split_once('.').unwrap();
        let forged_payload = URL_SAFE_NO_PAD.encode("itm_other\ncr_1\nblog.example\n0123");
        assert_eq!(
            secret.verify(&format!("{forged_payload}.{signature}")),
            Err(TokenError::BadSignature)
        );
        let mut flipped = signature.as_bytes().to_vec();
        flipped[3] = if flipped[3] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            secret.verify(&format!(
                "{payload}.{}",
                String::from_utf8(flipped).unwrap()
            )),
            Err(TokenError::BadSignature)
        );
        assert_eq!(
            Secret::fixed(8).verify(&token),
            Err(TokenError::BadSignature),
            "another platform's secret"
        );
        assert_eq!(secret.verify("nodot"), Err(TokenError::Malformed));
        assert_eq!(secret.verify("!!.!!"), Err(TokenError::Malformed));
    }

    #[test]
    fn the_secret_is_created_once_and_kept() {
        let dir = std::env::temp_dir().join(format!("vitrine-secret-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let token = Secret::load_or_create(&dir).unwrap().sign(&claims());
        assert!(
            Secret::load_or_create(&dir).unwrap().verify(&token).is_ok(),
            "same secret after a restart"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("secret.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "only the owner can read the secret");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn click_ids_are_fresh_128_bit_hex() {
        let (a, b) = (new_click_id(), new_click_id());
        assert!(vitrine_core::field::is_hex_id(&a) && vitrine_core::field::is_hex_id(&b));
        assert_ne!(a, b);
    }
}
