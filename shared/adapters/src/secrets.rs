//! Encryption at rest of channel credentials (R-C3): ChaCha20-Poly1305 with a key ring. Every
//! sealed value names the key that sealed it, so keys can rotate: new values use the current key,
//! old ones still open with theirs. The associated data binds a sealed value to its record, so a
//! value copied onto another channel does not open.
//!
//! Keys come from configuration (`TOKEN_ENCRYPTION_KEYS` = `id:64 hex chars,...` and
//! `TOKEN_ENCRYPTION_KEY_ID` = the current one; on AWS both are injected from SSM Parameter Store or
//! Secrets Manager). The local server keeps a generated key in its data directory.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::path::Path;

/// A sealed value as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    pub key_id: String,
    /// 12 bytes, hex.
    pub nonce: String,
    /// Ciphertext and tag, hex.
    pub data: String,
}

/// Why sealing or opening failed. Never carries the plaintext or a key.
#[derive(Debug, thiserror::Error)]
pub enum CipherError {
    #[error("encryption key configuration: {0}")]
    Config(String),
    #[error("the value was sealed with key {0}, which is not configured")]
    UnknownKey(String),
    #[error("the sealed value does not open (tampered, or bound to another record)")]
    Tampered,
    #[error("no randomness available: {0}")]
    Random(String),
}

/// The key ring.
pub struct TokenCipher {
    keys: HashMap<String, ChaCha20Poly1305>,
    current: String,
}

impl fmt::Debug for TokenCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TokenCipher {{ keys: {}, current: {} }}",
            self.keys.len(),
            self.current
        )
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn random<const N: usize>() -> Result<[u8; N], CipherError> {
    let mut buf = [0u8; N];
    getrandom::getrandom(&mut buf).map_err(|e| CipherError::Random(e.to_string()))?;
    Ok(buf)
}

impl TokenCipher {
    /// From `id:hexkey,id:hexkey` and the id of the key that seals new values.
    pub fn from_config(keys: &str, current: &str) -> Result<Self, CipherError> {
        let mut ring = HashMap::new();
        for (i, entry) in keys.split(',').map(str::trim).filter(|e| !e.is_empty()).enumerate() {
            let (id, key) = entry
                .split_once(':')
                .ok_or_else(|| CipherError::Config(format!("entry {} is not id:hexkey", i + 1)))?;
            let bytes = unhex(key)
                .filter(|b| b.len() == 32)
                .ok_or_else(|| CipherError::Config(format!("key {id} is not 64 hex characters")))?;
            ring.insert(id.to_owned(), ChaCha20Poly1305::new(Key::from_slice(&bytes)));
        }
        if !ring.contains_key(current) {
            return Err(CipherError::Config(format!(
                "the current key id {current} is not among the keys"
            )));
        }
        Ok(Self {
            keys: ring,
            current: current.to_owned(),
        })
    }

    /// The local server's key: read from `path`, or generated and written there (mode 0600).
    pub fn load_or_create_local(path: &Path) -> Result<Self, CipherError> {
        let io = |e: std::io::Error| CipherError::Config(format!("{}: {e}", path.display()));
        let line = match std::fs::read_to_string(path) {
            Ok(s) => s.trim().to_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let line = format!("local-1:{}", hex(&random::<32>()?));
                write_private(path, &line).map_err(io)?;
                line
            }
            Err(e) => return Err(io(e)),
        };
        let current = line
            .split(',')
            .next_back()
            .and_then(|e| e.split_once(':'))
            .map(|(id, _)| id.to_owned())
            .unwrap_or_default();
        Self::from_config(&line, &current)
    }

    /// Seals `plaintext` with the current key, bound to `record` (e.g. `tenant/channel`).
    pub fn seal(&self, plaintext: &[u8], record: &str) -> Result<Sealed, CipherError> {
        let cipher = self
            .keys
            .get(&self.current)
            .ok_or_else(|| CipherError::UnknownKey(self.current.clone()))?;
        let nonce = random::<12>()?;
        let data = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: record.as_bytes(),
                },
            )
            .map_err(|_| CipherError::Tampered)?;
        Ok(Sealed {
            key_id: self.current.clone(),
            nonce: hex(&nonce),
            data: hex(&data),
        })
    }

    /// Opens a value sealed for `record`.
    pub fn open(&self, sealed: &Sealed, record: &str) -> Result<Vec<u8>, CipherError> {
        let cipher = self
            .keys
            .get(&sealed.key_id)
            .ok_or_else(|| CipherError::UnknownKey(sealed.key_id.clone()))?;
        let nonce = unhex(&sealed.nonce)
            .filter(|n| n.len() == 12)
            .ok_or(CipherError::Tampered)?;
        let data = unhex(&sealed.data).ok_or(CipherError::Tampered)?;
        cipher
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &data,
                    aad: record.as_bytes(),
                },
            )
            .map_err(|_| CipherError::Tampered)
    }

    /// Seals `plaintext` as one line of text, `sealed:<key id>:<nonce>:<data>`, bound to `record`.
    pub fn seal_text(&self, plaintext: &str, record: &str) -> Result<String, CipherError> {
        let sealed = self.seal(plaintext.as_bytes(), record)?;
        Ok(format!("sealed:{}:{}:{}", sealed.key_id, sealed.nonce, sealed.data))
    }

    /// Opens what [`TokenCipher::seal_text`] sealed for `record`.
    pub fn open_text(&self, text: &str, record: &str) -> Result<String, CipherError> {
        let mut parts = text
            .strip_prefix("sealed:")
            .ok_or(CipherError::Tampered)?
            .splitn(3, ':');
        let (Some(key_id), Some(nonce), Some(data)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(CipherError::Tampered);
        };
        let sealed = Sealed {
            key_id: key_id.to_owned(),
            nonce: nonce.to_owned(),
            data: data.to_owned(),
        };
        String::from_utf8(self.open(&sealed, record)?).map_err(|_| CipherError::Tampered)
    }

    /// The id of the key new values are sealed with.
    pub fn current_key_id(&self) -> &str {
        &self.current
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "k1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const K2: &str = "k2:1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100";

    #[test]
    fn sealed_values_open_only_for_their_record_and_untampered() {
        let c = TokenCipher::from_config(K1, "k1").expect("valid keys");
        let sealed = c.seal(b"refresh-token-value", "acme/ch1").expect("seals");
        assert!(!sealed.data.contains(&hex(b"refresh-token-value")));
        assert_eq!(c.open(&sealed, "acme/ch1").expect("opens"), b"refresh-token-value");
        assert!(matches!(c.open(&sealed, "acme/ch2"), Err(CipherError::Tampered)));
        let mut flipped = sealed.clone();
        flipped
            .data
            .replace_range(0..2, if &sealed.data[0..2] == "00" { "01" } else { "00" });
        assert!(matches!(c.open(&flipped, "acme/ch1"), Err(CipherError::Tampered)));
    }

    #[test]
    fn keys_rotate_old_values_still_open_new_ones_use_the_new_key() {
        let old = TokenCipher::from_config(K1, "k1").expect("valid");
        let sealed_old = old.seal(b"v1", "r").expect("seals");
        let rotated = TokenCipher::from_config(&format!("{K1},{K2}"), "k2").expect("valid");
        assert_eq!(rotated.open(&sealed_old, "r").expect("old opens"), b"v1");
        let sealed_new = rotated.seal(b"v2", "r").expect("seals");
        assert_eq!(sealed_new.key_id, "k2");
        let retired = TokenCipher::from_config(K2, "k2").expect("valid");
        assert!(matches!(retired.open(&sealed_old, "r"), Err(CipherError::UnknownKey(id)) if id == "k1"));
    }

    #[test]
    fn bad_key_configuration_is_refused_without_echoing_keys() {
        for (keys, current) in [("k1:abcd", "k1"), ("nonsense", "k1"), (K1, "k9")] {
            let err = TokenCipher::from_config(keys, current)
                .expect_err("refused")
                .to_string();
            assert!(!err.contains("000102030405"), "{err}");
        }
    }

    #[test]
    fn a_local_key_is_created_once_and_reused() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("token.key");
        let first = TokenCipher::load_or_create_local(&path).expect("created");
        let sealed = first.seal(b"x", "r").expect("seals");
        let again = TokenCipher::load_or_create_local(&path).expect("loaded");
        assert_eq!(again.open(&sealed, "r").expect("opens"), b"x");
    }
}
