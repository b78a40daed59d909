//! The one place where catalog errors become what an HMS client receives.
//!
//! Each variant of [`CatalogError`] names an HMS exception. A method can only send the exceptions
//! its IDL declares, so: the named exception if the method declares it, else `MetaException` if
//! declared (as Apache HMS wraps unexpected errors), else a `TApplicationException`. Internal
//! errors are logged in full with an error id; the client gets the message and that id.

use strata_core::CatalogError;
use strata_thrift::{self as t, methods::Method};
use thrift::{ApplicationError, ApplicationErrorKind};

/// The Thrift error a handler returns for a catalog error raised by `method`.
#[must_use]
pub fn to_thrift(method: Method, err: CatalogError) -> thrift::Error {
    let message = match &err {
        CatalogError::Internal(detail) => {
            let id = uuid::Uuid::new_v4().simple().to_string();
            tracing::error!(error_id = %id, method = method.name(), detail = %detail, "internal error");
            format!("Internal error in Strata (error id {id}); see the server log")
        }
        other => other.message().to_string(),
    };
    match exception_name(method, &err) {
        APPLICATION_EXCEPTION => {
            thrift::Error::Application(ApplicationError::new(ApplicationErrorKind::InternalError, message))
        }
        chosen => exception(chosen, message),
    }
}

/// What a method undeclaring every HMS exception sends instead.
pub const APPLICATION_EXCEPTION: &str = "TApplicationException";

/// The exception [`to_thrift`] sends for `err` raised by `method`: the error's own if the method
/// declares it, else `MetaException` if declared, else [`APPLICATION_EXCEPTION`].
#[must_use]
pub fn exception_name(method: Method, err: &CatalogError) -> &'static str {
    let declared = method.declared_exceptions();
    let kind = err.kind();
    if declared.contains(&kind) {
        kind
    } else if declared.contains(&"MetaException") {
        "MetaException"
    } else {
        APPLICATION_EXCEPTION
    }
}

/// Box the named HMS exception with a message as a user error of the generated processor.
fn exception(name: &str, message: String) -> thrift::Error {
    let m = Some(message);
    let boxed: Box<dyn std::error::Error + Sync + Send> = match name {
        "NoSuchObjectException" => Box::new(t::NoSuchObjectException { message: m }),
        "AlreadyExistsException" => Box::new(t::AlreadyExistsException { message: m }),
        "InvalidObjectException" => Box::new(t::InvalidObjectException { message: m }),
        "InvalidOperationException" => Box::new(t::InvalidOperationException { message: m }),
        "UnknownDBException" => Box::new(t::UnknownDBException { message: m }),
        "UnknownTableException" => Box::new(t::UnknownTableException { message: m }),
        "NoSuchLockException" => Box::new(t::NoSuchLockException { message: m }),
        "NoSuchTxnException" => Box::new(t::NoSuchTxnException { message: m }),
        "TxnAbortedException" => Box::new(t::TxnAbortedException { message: m }),
        "ConfigValSecurityException" => Box::new(t::ConfigValSecurityException { message: m }),
        _ => Box::new(t::MetaException { message: m }),
    };
    thrift::Error::User(boxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user_err<E: std::error::Error + 'static>(e: &thrift::Error) -> Option<&E> {
        match e {
            thrift::Error::User(b) => b.downcast_ref::<E>(),
            _ => None,
        }
    }

    #[test]
    fn declared_exception_is_kept() {
        let e = to_thrift(Method::GetTable, CatalogError::NoSuchObject("db.t table not found".into()));
        let nso = user_err::<t::NoSuchObjectException>(&e).expect("NoSuchObjectException");
        assert_eq!(nso.message.as_deref(), Some("db.t table not found"));
    }

    #[test]
    fn undeclared_becomes_meta_exception() {
        // get_table declares MetaException and NoSuchObjectException only.
        let e = to_thrift(Method::GetTable, CatalogError::InvalidOperation("nope".into()));
        assert_eq!(user_err::<t::MetaException>(&e).and_then(|m| m.message.as_deref()), Some("nope"));
    }

    #[test]
    fn internal_errors_hide_details() {
        let e = to_thrift(Method::GetTable, CatalogError::Internal("password=secret".into()));
        let m = user_err::<t::MetaException>(&e).and_then(|m| m.message.clone()).unwrap();
        assert!(m.contains("error id") && !m.contains("secret"));
    }
}
