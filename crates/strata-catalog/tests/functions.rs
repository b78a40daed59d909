//! Functions through the catalog, over a real SQLite store and the local file system.

use strata_core::{
    error::msg,
    model::{function_msg, Function},
    model::{Actor, Database},
    CatalogError,
};

mod common;

use common::Fixture;

fn actor() -> Actor {
    Actor { user: "alice".into(), client_addr: "127.0.0.1:1".into(), request_id: "r1".into() }
}

async fn with_db(f: &Fixture, name: &str) {
    f.catalog.create_database(Database { name: name.into(), ..Database::default() }).await.unwrap();
}

fn function(db: &str, name: &str) -> Function {
    Function { db_name: db.into(), name: name.into(), class_name: "com.example.Upper".into(), ..Function::default() }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

#[tokio::test]
async fn functions_follow_hms() {
    let f = Fixture::new().await;
    with_db(&f, "db").await;
    let created = f.catalog.create_function(function("DB", "Upper")).await.unwrap();
    assert_eq!((created.db_name.as_str(), created.name.as_str()), ("db", "upper"));
    assert!(created.create_time.0 > 0, "a missing creation time becomes now");
    assert_eq!(f.catalog.get_function("db", "UPPER").await.unwrap(), created);
    assert_eq!(
        f.catalog.create_function(function("db", "upper")).await.unwrap_err(),
        CatalogError::AlreadyExists(function_msg::exists("upper"))
    );
    assert_eq!(
        f.catalog.create_function(function("nodb", "f")).await.unwrap_err(),
        CatalogError::NoSuchObject(msg::no_such_database("nodb"))
    );
    assert_eq!(
        f.catalog.create_function(function("db", "bad-name")).await.unwrap_err(),
        CatalogError::InvalidObject("bad-name is not a valid object name".into())
    );
    assert_eq!(
        f.catalog.create_function(Function { class_name: String::new(), ..function("db", "f") }).await.unwrap_err(),
        CatalogError::InvalidObject(function_msg::NO_CLASS.into())
    );
    assert_eq!(
        f.catalog.get_function("db", "ghost").await.unwrap_err(),
        CatalogError::NoSuchObject("Function db.ghost does not exist".into())
    );

    f.catalog.create_function(function("db", "lower")).await.unwrap();
    f.catalog.create_function(function("default", "trim")).await.unwrap();
    assert_eq!(f.catalog.list_function_names("db", Some("*")).await.unwrap(), strings(&["lower", "upper"]));
    assert_eq!(f.catalog.list_function_names("db", Some("up*|x")).await.unwrap(), strings(&["upper"]));
    assert!(f.catalog.list_function_names("nodb", None).await.unwrap().is_empty());
    assert_eq!(f.catalog.all_functions().await.unwrap().len(), 3);

    let new = Function { class_name: "com.example.Upper2".into(), ..function("db", "upper") };
    f.catalog.alter_function("db", "upper", new).await.unwrap();
    let altered = f.catalog.get_function("db", "upper").await.unwrap();
    assert_eq!(altered.class_name, "com.example.Upper2");
    assert_eq!(altered.create_time, created.create_time, "creation time kept");
    assert_eq!(
        f.catalog.alter_function("db", "ghost", function("db", "ghost")).await.unwrap_err(),
        CatalogError::Meta(function_msg::alter_not_found("ghost"))
    );

    // A database with functions only drops with cascade.
    f.catalog.drop_function("db", "LOWER").await.unwrap();
    assert_eq!(
        f.catalog.drop_function("db", "lower").await.unwrap_err(),
        CatalogError::NoSuchObject("Function lower does not exist".into()),
        "Apache HMS 2.3 leaves the database out of drop_function's message"
    );
    assert_eq!(
        f.catalog.drop_database(&actor(), "db", false, false).await.unwrap_err(),
        CatalogError::InvalidOperation(msg::database_not_empty_functions("db"))
    );
    f.catalog.drop_database(&actor(), "db", false, true).await.unwrap();
    assert_eq!(f.catalog.all_functions().await.unwrap().len(), 1);
}
