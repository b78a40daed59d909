//! Authorization: who may read, write or administer which databases and tables.
//!
//! The policy is a TOML file (`[auth] policy_file`) of named roles. Each role grants one
//! access level on `database.table` glob patterns to users and groups:
//!
//! ```toml
//! [roles.analysts]
//! access = "read"                 # read | write | admin
//! objects = ["sales.*", "web"]    # "db.table" globs; "db" alone means "db.*"
//! users = ["alice"]
//! groups = ["analytics"]
//! ```
//!
//! Levels nest: `admin` ⊃ `write` ⊃ `read`. A database-level write (create or alter a
//! database) needs a grant covering every table of it (`db.*`); reading a database needs any
//! grant inside it. Server-wide calls (the notification log, all locks) need `*.*`.
//! Connections without a principal get what [`Anonymous`] says.

use std::{collections::BTreeMap, path::Path};

use serde::Deserialize;

/// An access level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// Get and list calls.
    Read,
    /// DDL, partitions, statistics, locks.
    Write,
    /// Everything, including dropping a database and dropping with `deleteData`.
    Admin,
}

impl Access {
    /// The level's name in the policy file.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Admin => "admin",
        }
    }

    /// The HMS privileges the level stands for (as `list_privileges` shows them).
    #[must_use]
    pub fn privileges(self) -> &'static [&'static str] {
        match self {
            Self::Read => &["SELECT"],
            Self::Write => &["SELECT", "INSERT", "UPDATE", "DELETE"],
            Self::Admin => &["ALL"],
        }
    }

    /// The privilege named in a denial (HMS's SQL-standard authorizer wording).
    #[must_use]
    pub fn denial_name(self) -> &'static str {
        match self {
            Self::Read => "SELECT",
            Self::Write => "UPDATE",
            Self::Admin => "ADMIN PRIVILEGE",
        }
    }
}

/// What a connection without a principal may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Anonymous {
    /// Nothing.
    Deny,
    /// Read everything.
    Read,
    /// Everything (Strata without authentication).
    All,
}

impl std::str::FromStr for Anonymous {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "deny" => Ok(Self::Deny),
            "read" => Ok(Self::Read),
            "all" => Ok(Self::All),
            other => Err(format!("anonymous must be deny, read or all, not {other:?}")),
        }
    }
}

/// What a call touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// Something anywhere (a listing filtered afterwards, a lock by id): any grant of the level.
    Any,
    /// The whole server (the notification log, every lock): a grant on `*.*`.
    Server,
    /// A database.
    Database(&'a str),
    /// A table of a database.
    Table(&'a str, &'a str),
}

/// Who is asking: a principal's name and groups, or nobody.
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    /// The principal, `None` for an unauthenticated connection.
    pub name: Option<&'a str>,
    /// The principal's groups.
    pub groups: &'a [String],
}

/// One role of the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// The role's name (its key in the file).
    pub name: String,
    /// The level it grants.
    pub access: Access,
    /// The `db.table` patterns it grants it on.
    pub objects: Vec<ObjectPattern>,
    /// Users holding the role.
    pub users: Vec<String>,
    /// Groups holding the role.
    pub groups: Vec<String>,
}

impl Role {
    /// Whether `who` holds this role.
    #[must_use]
    pub fn held_by(&self, who: Who<'_>) -> bool {
        who.name.is_some_and(|n| self.users.iter().any(|u| u == n))
            || who.groups.iter().any(|g| self.groups.iter().any(|rg| rg == g))
    }

    /// Whether the role grants `need` on `target`.
    #[must_use]
    pub fn grants(&self, need: Access, target: Target<'_>) -> bool {
        self.access >= need && self.objects.iter().any(|o| o.covers(need, target))
    }
}

/// A `db.table` glob pattern (`*` matches any run of characters; case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectPattern {
    /// Database part.
    pub db: String,
    /// Table part (`*` when the pattern named a database only).
    pub table: String,
}

impl ObjectPattern {
    /// Parse `db.table`, or `db` meaning `db.*`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim().to_lowercase();
        let (db, table) = match s.split_once('.') {
            Some((db, table)) => (db.to_string(), table.to_string()),
            None => (s.clone(), "*".to_string()),
        };
        if db.is_empty() || table.is_empty() || table.contains('.') {
            return Err(format!("object pattern {s:?} is not \"db\" or \"db.table\""));
        }
        Ok(Self { db, table })
    }

    /// Whether the pattern covers every table of every database.
    #[must_use]
    pub fn is_everything(&self) -> bool {
        self.db == "*" && self.table == "*"
    }

    /// Whether this pattern covers `target` for `need`.
    #[must_use]
    pub fn covers(&self, need: Access, target: Target<'_>) -> bool {
        match target {
            Target::Any => true,
            Target::Server => self.is_everything(),
            // Reading a database needs a grant anywhere inside it; changing it, all of it.
            Target::Database(db) => glob(&self.db, db) && (need == Access::Read || self.table == "*"),
            Target::Table(db, table) => glob(&self.db, db) && glob(&self.table, table),
        }
    }

    /// The pattern as written, `db.table`.
    #[must_use]
    pub fn display(&self) -> String {
        format!("{}.{}", self.db, self.table)
    }
}

/// Whether `name` matches the glob `pattern` (`*` = any characters), ignoring case.
#[must_use]
pub fn glob(pattern: &str, name: &str) -> bool {
    let name = name.to_lowercase();
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

/// The policy file, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    roles: BTreeMap<String, RoleFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleFile {
    access: Access,
    objects: Vec<String>,
    #[serde(default)]
    users: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
}

/// The roles of a policy file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// The roles, by name.
    pub roles: Vec<Role>,
}

impl Policy {
    /// Parse a policy file's text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: PolicyFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut roles = Vec::new();
        for (name, r) in file.roles {
            if name.eq_ignore_ascii_case("public") {
                return Err("role \"public\" is implicit and cannot be defined".to_string());
            }
            let objects = r
                .objects
                .iter()
                .map(|o| ObjectPattern::parse(o))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("role {name}: {e}"))?;
            roles.push(Role { name, access: r.access, objects, users: r.users, groups: r.groups });
        }
        Ok(Self { roles })
    }

    /// Read and parse a policy file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The roles `who` holds.
    pub fn roles_of<'a>(&'a self, who: Who<'a>) -> impl Iterator<Item = &'a Role> + 'a {
        self.roles.iter().filter(move |r| r.held_by(who))
    }

    /// A role by name.
    #[must_use]
    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.name == name)
    }
}

/// The authorization settings of a server: the policy, if any, and what anonymous callers get.
#[derive(Debug, Clone)]
pub struct Authz {
    /// The policy; `None`: every principal may do everything (authentication only).
    pub policy: Option<Policy>,
    /// What a connection without a principal may do.
    pub anonymous: Anonymous,
}

impl Default for Authz {
    /// No policy and anonymous `all`: Strata without authentication.
    fn default() -> Self {
        Self { policy: None, anonymous: Anonymous::All }
    }
}

impl Authz {
    /// Whether `who` may do what needs `need` on `target`.
    #[must_use]
    pub fn allows(&self, who: Who<'_>, need: Access, target: Target<'_>) -> bool {
        if who.name.is_none() {
            return match self.anonymous {
                Anonymous::Deny => false,
                Anonymous::Read => need == Access::Read,
                Anonymous::All => true,
            };
        }
        match &self.policy {
            None => true,
            Some(p) => p.roles_of(who).any(|r| r.grants(need, target)),
        }
    }

    /// Whether any check can fail (a policy is set or anonymous callers are limited).
    #[must_use]
    pub fn is_open(&self) -> bool {
        self.policy.is_none() && self.anonymous == Anonymous::All
    }
}

/// The message of a denied call, worded as HMS's SQL-standard authorizer words it.
#[must_use]
pub fn denial(who: Who<'_>, operation: &str, need: Access, target: Target<'_>) -> String {
    let principal = who.name.unwrap_or("anonymous");
    let object = match target {
        Target::Any | Target::Server => "[type=GLOBAL, name=*]".to_string(),
        Target::Database(db) => format!("[type=DATABASE, name={db}]"),
        Target::Table(db, table) => format!("[type=TABLE_OR_VIEW, name={db}.{table}]"),
    };
    format!(
        "Permission denied: Principal [name={principal}, type=USER] does not have following privileges for \
         operation {operation} [[{}] on Object {object}]",
        need.denial_name()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"
        [roles.readers]
        access = "read"
        objects = ["sales.*", "web.clicks"]
        users = ["rita"]
        groups = ["analysts"]

        [roles.etl]
        access = "write"
        objects = ["sales", "staging_*.*"]
        users = ["walt"]

        [roles.ops]
        access = "admin"
        objects = ["*.*"]
        groups = ["dba"]
    "#;

    fn authz(anonymous: Anonymous) -> Authz {
        Authz { policy: Some(Policy::parse(POLICY).unwrap()), anonymous }
    }

    fn who<'a>(name: &'a str, groups: &'a [String]) -> Who<'a> {
        Who { name: Some(name), groups }
    }

    #[test]
    fn globs() {
        for (pattern, name, want) in [
            ("*", "anything", true),
            ("sales", "sales", true),
            ("sales", "Sales", true),
            ("sales", "sales2", false),
            ("staging_*", "staging_eu", true),
            ("staging_*", "stag", false),
            ("*_tmp", "x_tmp", true),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "acb", false),
            ("a*a", "a", false),
        ] {
            assert_eq!(glob(pattern, name), want, "{pattern} ~ {name}");
        }
    }

    #[test]
    fn the_policy_table() {
        use Access::{Admin, Read, Write};
        let a = authz(Anonymous::Deny);
        let none: Vec<String> = Vec::new();
        let analysts = vec!["analysts".to_string()];
        let dba = vec!["dba".to_string()];
        let cases: &[(Who<'_>, Access, Target<'_>, bool)] = &[
            // a reader reads what it was given, nothing else, and writes nothing
            (who("rita", &none), Read, Target::Table("sales", "orders"), true),
            (who("rita", &none), Read, Target::Database("sales"), true),
            (who("rita", &none), Read, Target::Database("web"), true),
            (who("rita", &none), Read, Target::Table("web", "clicks"), true),
            (who("rita", &none), Read, Target::Table("web", "users"), false),
            (who("rita", &none), Read, Target::Table("hr", "pay"), false),
            (who("rita", &none), Write, Target::Table("sales", "orders"), false),
            (who("rita", &none), Read, Target::Server, false),
            // groups carry roles
            (who("gus", &analysts), Read, Target::Table("sales", "x"), true),
            (who("gus", &analysts), Write, Target::Table("sales", "x"), false),
            // a writer writes tables and its database, but administers nothing
            (who("walt", &none), Write, Target::Table("sales", "orders"), true),
            (who("walt", &none), Write, Target::Database("sales"), true),
            (who("walt", &none), Read, Target::Table("staging_eu", "t"), true),
            (who("walt", &none), Write, Target::Database("staging_eu"), true),
            (who("walt", &none), Admin, Target::Database("sales"), false),
            (who("walt", &none), Admin, Target::Table("sales", "orders"), false),
            (who("walt", &none), Write, Target::Table("web", "clicks"), false),
            (who("walt", &none), Write, Target::Any, true),
            (who("walt", &none), Admin, Target::Any, false),
            // an admin does everything
            (who("dora", &dba), Admin, Target::Database("sales"), true),
            (who("dora", &dba), Admin, Target::Server, true),
            (who("dora", &dba), Read, Target::Table("hr", "pay"), true),
            // someone unknown gets nothing
            (who("mallory", &none), Read, Target::Table("sales", "orders"), false),
            (who("mallory", &none), Read, Target::Any, false),
            // anonymous: deny
            (Who { name: None, groups: &none }, Read, Target::Table("sales", "orders"), false),
        ];
        for (i, (w, need, target, want)) in cases.iter().enumerate() {
            assert_eq!(a.allows(*w, *need, *target), *want, "case {i}: {w:?} {need:?} {target:?}");
        }
    }

    #[test]
    fn a_writer_on_some_tables_cannot_change_their_database() {
        let p = Policy::parse(
            r#"[roles.w]
               access = "write"
               objects = ["sales.orders"]
               users = ["u"]"#,
        )
        .unwrap();
        let a = Authz { policy: Some(p), anonymous: Anonymous::Deny };
        assert!(a.allows(who("u", &[]), Access::Read, Target::Database("sales")));
        assert!(!a.allows(who("u", &[]), Access::Write, Target::Database("sales")));
    }

    #[test]
    fn anonymous_levels() {
        let nobody = Who { name: None, groups: &[] };
        for (anonymous, read, write, admin) in [
            (Anonymous::Deny, false, false, false),
            (Anonymous::Read, true, false, false),
            (Anonymous::All, true, true, true),
        ] {
            let a = authz(anonymous);
            let t = Target::Table("sales", "orders");
            assert_eq!(a.allows(nobody, Access::Read, t), read);
            assert_eq!(a.allows(nobody, Access::Write, t), write);
            assert_eq!(a.allows(nobody, Access::Admin, Target::Server), admin);
        }
        assert_eq!("READ".parse::<Anonymous>(), Ok(Anonymous::Read));
        assert!("maybe".parse::<Anonymous>().is_err());
    }

    #[test]
    fn without_a_policy_every_principal_may_do_everything() {
        let a = Authz { policy: None, anonymous: Anonymous::Deny };
        assert!(a.allows(who("anyone", &[]), Access::Admin, Target::Server));
        assert!(!a.allows(Who { name: None, groups: &[] }, Access::Read, Target::Any));
        assert!(Authz::default().is_open());
        assert!(!a.is_open());
    }

    #[test]
    fn bad_policies_are_refused() {
        for bad in [
            "[roles.x]\naccess = \"superuser\"\nobjects = [\"*\"]",
            "[roles.x]\naccess = \"read\"",
            "[roles.x]\naccess = \"read\"\nobjects = [\"a.b.c\"]",
            "[roles.x]\naccess = \"read\"\nobjects = [\".t\"]",
            "[roles.public]\naccess = \"read\"\nobjects = [\"*\"]",
            "[roles.x]\naccess = \"read\"\nobjects = [\"*\"]\nuser = [\"typo\"]",
            "[role.x]\naccess = \"read\"",
        ] {
            assert!(Policy::parse(bad).is_err(), "accepted: {bad}");
        }
    }

    #[test]
    fn denial_wording() {
        let msg = denial(who("walt", &[]), "drop_database", Access::Admin, Target::Database("sales"));
        assert_eq!(
            msg,
            "Permission denied: Principal [name=walt, type=USER] does not have following privileges for operation \
             drop_database [[ADMIN PRIVILEGE] on Object [type=DATABASE, name=sales]]"
        );
    }
}
