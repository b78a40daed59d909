//! Permanent user-defined functions.

use serde::{Deserialize, Serialize};

use super::PrincipalType;
use crate::time::EpochSeconds;

/// `ResourceUri.resourceType` values (HMS `ResourceType`).
pub mod resource_type {
    /// A jar.
    pub const JAR: i32 = 1;
    /// A file.
    pub const FILE: i32 = 2;
    /// An archive.
    pub const ARCHIVE: i32 = 3;
}

/// `Function.functionType` value for Java functions (the only one HMS defines).
pub const FUNCTION_TYPE_JAVA: i32 = 1;

/// A resource a function needs (jar, file, archive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ResourceUri {
    /// [`resource_type`] code, kept as sent.
    pub resource_type: i32,
    /// Where the resource is.
    pub uri: String,
}

/// A permanent user-defined function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Function {
    /// Lower-case database name.
    pub db_name: String,
    /// Lower-case function name.
    pub name: String,
    /// Implementing class.
    pub class_name: String,
    /// Owner.
    pub owner_name: Option<String>,
    /// Owner type.
    pub owner_type: Option<PrincipalType>,
    /// Creation time.
    pub create_time: EpochSeconds,
    /// Function type code ([`FUNCTION_TYPE_JAVA`]).
    pub function_type: i32,
    /// Resources.
    pub resource_uris: Vec<ResourceUri>,
}

/// Messages of the function calls.
pub mod function_msg {
    /// `NoSuchObjectException` from `get_function` (what Apache HMS 2.3 sends).
    #[must_use]
    pub fn not_found(db: &str, name: &str) -> String {
        format!("Function {db}.{name} does not exist")
    }
    /// `NoSuchObjectException` from `drop_function` (2.3 leaves the database out).
    #[must_use]
    pub fn drop_not_found(name: &str) -> String {
        format!("Function {name} does not exist")
    }
    /// `MetaException` from `alter_function` of a missing function.
    #[must_use]
    pub fn alter_not_found(name: &str) -> String {
        format!("function {name} doesn't exist")
    }
    /// `AlreadyExistsException` from `create_function`.
    #[must_use]
    pub fn exists(name: &str) -> String {
        format!("Function {name} already exists")
    }
    /// `InvalidObjectException` for a function without a class.
    pub const NO_CLASS: &str = "Function class name cannot be null";
}
