//! The users file: `name:PHC-hash[:group,group]` per line, `#` comments.
//!
//! Hashes are argon2id PHC strings (the `argon2` crate's default parameters), written by
//! `strata user add`. Verifying runs argon2 on every attempt, known user or not, so the time a
//! refusal takes does not tell whether the name exists.

use std::{collections::HashMap, io, path::Path};

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};

/// One user of the file.
#[derive(Debug, Clone)]
struct Entry {
    hash: String,
    groups: Vec<String>,
}

/// A parsed users file.
#[derive(Debug, Clone, Default)]
pub struct Users {
    users: HashMap<String, Entry>,
}

/// Checked against when the name is unknown, so an unknown name costs an argon2 run too.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| Users::hash("strata-no-such-user"))
}

impl Users {
    /// Parse `path`. A malformed line is an error naming its number (a typo must not silently
    /// lock a user out or, worse, in).
    pub fn load(path: &Path) -> io::Result<Users> {
        Self::parse(&std::fs::read_to_string(path)?)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", path.display())))
    }

    /// Parse the text of a users file.
    pub fn parse(text: &str) -> Result<Users, String> {
        let mut users = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.splitn(3, ':');
            let name = parts.next().unwrap_or_default();
            let hash = parts.next().unwrap_or_default();
            let groups = parts.next().unwrap_or_default();
            if name.is_empty() || PasswordHash::new(hash).is_err() {
                return Err(format!("line {}: expected name:$argon2id$...[:group,group]", i + 1));
            }
            let groups = groups.split(',').map(str::trim).filter(|g| !g.is_empty()).map(String::from).collect();
            users.insert(name.to_string(), Entry { hash: hash.to_string(), groups });
        }
        Ok(Users { users })
    }

    /// The user's groups when `password` matches, None otherwise (constant-time compare via argon2).
    pub fn verify(&self, name: &str, password: &str) -> Option<Vec<String>> {
        let entry = self.users.get(name);
        let hash = entry.map_or(dummy_hash(), |e| e.hash.as_str());
        let ok =
            PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok());
        match entry {
            Some(e) if ok => Some(e.groups.clone()),
            _ => None,
        }
    }

    /// An argon2id PHC string for `password` (fresh random salt, default parameters).
    pub fn hash(password: &str) -> String {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_or_else(|e| unreachable!("argon2 with default parameters cannot fail: {e}"), |h| h.to_string())
    }

    /// Whether the file names `name`.
    #[must_use]
    pub fn contains(&self, name: &str) -> bool {
        self.users.contains_key(name)
    }
}

/// Add or replace `name` in the users file at `path` (created if missing, mode 0600 on Unix),
/// keeping every other line as it is.
pub fn add_user(path: &Path, name: &str, password: &str, groups: &[String]) -> io::Result<()> {
    if name.is_empty() || name.contains([':', '\n', '#']) || name.trim() != name {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "a user name must be non-empty, without ':' or '#'"));
    }
    if groups.iter().any(|g| g.contains([':', ',', '\n'])) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "a group name must not hold ':' or ','"));
    }
    let old = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    Users::parse(&old).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", path.display())))?;
    let mut line = format!("{name}:{}", Users::hash(password));
    if !groups.is_empty() {
        line.push(':');
        line.push_str(&groups.join(","));
    }
    let mut out = String::new();
    let mut replaced = false;
    for l in old.lines() {
        if l.trim().split(':').next() == Some(name) && !l.trim_start().starts_with('#') {
            if !replaced {
                out.push_str(&line);
                out.push('\n');
                replaced = true;
            }
        } else {
            out.push_str(l);
            out.push('\n');
        }
    }
    if !replaced {
        out.push_str(&line);
        out.push('\n');
    }
    // Write a sibling and rename it over the file: a crash leaves the old file or the new one.
    let tmp = path.with_extension("tmp-strata");
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options.open(&tmp)?;
        io::Write::write_all(&mut f, out.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_only_the_right_password_and_returns_groups() {
        let text = format!("# users\n\nalice:{}:etl,admins\nbob:{}\n", Users::hash("secret"), Users::hash("hunter2"));
        let users = Users::parse(&text).unwrap();
        assert_eq!(users.verify("alice", "secret"), Some(vec!["etl".to_string(), "admins".to_string()]));
        assert_eq!(users.verify("bob", "hunter2"), Some(vec![]));
        assert_eq!(users.verify("alice", "hunter2"), None);
        assert_eq!(users.verify("carol", "secret"), None);
        assert_eq!(users.verify("", ""), None);
    }

    #[test]
    fn malformed_lines_are_errors_with_their_number() {
        let err = Users::parse("# ok\nalice:notahash\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
        assert!(Users::parse("nocolon\n").is_err());
    }

    #[test]
    fn add_user_replaces_and_keeps_other_lines() {
        let dir = std::env::temp_dir().join(format!("strata-users-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("users");
        add_user(&path, "alice", "one", &[]).unwrap();
        add_user(&path, "bob", "two", &["etl".to_string()]).unwrap();
        add_user(&path, "alice", "three", &[]).unwrap();
        let users = Users::load(&path).unwrap();
        assert_eq!(users.verify("alice", "one"), None);
        assert_eq!(users.verify("alice", "three"), Some(vec![]));
        assert_eq!(users.verify("bob", "two"), Some(vec!["etl".to_string()]));
        assert!(add_user(&path, "a:b", "x", &[]).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
