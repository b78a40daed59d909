//! The users file: `name:PHC-hash[:group,group]` per line, `#` comments.

use std::{collections::HashMap, path::Path};

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};

/// One user of the file.
#[derive(Debug, Clone)]
struct User {
    /// The PHC string of the password's hash.
    hash: String,
    groups: Vec<String>,
}

/// A parsed users file.
#[derive(Debug, Clone, Default)]
pub struct Users {
    users: HashMap<String, User>,
}

impl Users {
    /// Read and parse the file; a malformed line is an error naming its number.
    pub fn load(path: &Path) -> std::io::Result<Users> {
        let text = std::fs::read_to_string(path)?;
        Self::parse(&text)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{}: {e}", path.display())))
    }

    /// Parse the file's text.
    pub fn parse(text: &str) -> Result<Users, String> {
        let mut users = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            // The PHC string holds `$` but no `:`.
            let mut fields = line.splitn(3, ':');
            let (Some(name), Some(hash)) = (fields.next(), fields.next()) else {
                return Err(format!("line {}: expected name:hash[:groups]", i + 1));
            };
            if name.is_empty() || PasswordHash::new(hash).is_err() {
                return Err(format!("line {}: expected name:hash[:groups] with a PHC hash", i + 1));
            }
            let groups = fields
                .next()
                .map(|g| g.split(',').map(str::trim).filter(|g| !g.is_empty()).map(str::to_string).collect())
                .unwrap_or_default();
            users.insert(name.to_string(), User { hash: hash.to_string(), groups });
        }
        Ok(Users { users })
    }

    /// The user's groups when `password` matches, None otherwise (constant-time compare via argon2).
    pub fn verify(&self, name: &str, password: &str) -> Option<Vec<String>> {
        let user = self.users.get(name)?;
        let hash = PasswordHash::new(&user.hash).ok()?;
        Argon2::default().verify_password(password.as_bytes(), &hash).ok()?;
        Some(user.groups.clone())
    }

    /// The PHC string of `password` hashed with Argon2id (default parameters, random salt).
    pub fn hash(password: &str) -> String {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_hashed_passwords_and_groups() {
        let text = format!("# comment\n\nann:{}:etl, ops\nbob:{}\n", Users::hash("secret"), Users::hash("hunter2"));
        let users = Users::parse(&text).unwrap();
        assert_eq!(users.verify("ann", "secret"), Some(vec!["etl".to_string(), "ops".to_string()]));
        assert_eq!(users.verify("bob", "hunter2"), Some(Vec::new()));
        assert_eq!(users.verify("ann", "wrong"), None);
        assert_eq!(users.verify("carl", "secret"), None);
        assert!(Users::hash("x").starts_with("$argon2id$"));
    }

    #[test]
    fn refuses_malformed_lines() {
        assert!(Users::parse("ann").is_err());
        assert!(Users::parse("ann:plaintext").is_err());
    }
}
