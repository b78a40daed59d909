//! The read-only history UI: server-rendered HTML (maud) with small inline SVG charts, no
//! script and no front-end build.
//!
//! - `/ui/`: databases; `/ui/db/DB`: its tables.
//! - `/ui/db/DB/TABLE`: the table's writes of partitions as a timeline (one per request: when,
//!   who, from which client, which batch), its table-level events, its tags, what
//!   `strata rollback DB.TABLE --to TIME --dry-run` would do for a time the user picks, and its
//!   partitions, a page of [`PAGE`] at a time (keyset-paged by name, so fast at any size).
//! - `/ui/db/DB/TABLE/partition?name=k=v/…`: one partition's chain of locations.
//!
//! Every handler only reads; nothing here writes.

use std::{collections::BTreeMap, future::Future, sync::Arc, time::Duration};

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{Html, IntoResponse, Response},
    routing::get,
    Router,
};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use serde::Deserialize;
use strata_catalog::versions::{Change, Target};
use strata_core::{model::HistoryEntry, time, CatalogError};
use strata_store::browse::BatchSummary;

use crate::AdminState;

/// Partitions per page.
pub const PAGE: usize = 100;
/// Writes shown on a table's timeline (the latest).
const TIMELINE: i64 = 200;
/// Table-level events shown.
const EVENTS: i64 = 20;
/// Changes of a rollback plan listed (all are counted).
const PLAN_ROWS: usize = 500;
/// How long one page may take.
const DEADLINE: Duration = Duration::from_secs(30);

type St = State<Arc<AdminState>>;

/// The UI routes.
pub fn router() -> Router<Arc<AdminState>> {
    Router::new()
        .route("/ui", get(databases))
        .route("/ui/", get(databases))
        .route("/ui/db/{db}", get(tables))
        .route("/ui/db/{db}/{table}", get(table))
        .route("/ui/db/{db}/{table}/partition", get(partition))
}

/// An error page.
struct UiError(StatusCode, String);

impl From<CatalogError> for UiError {
    fn from(e: CatalogError) -> Self {
        let status = match e {
            CatalogError::NoSuchObject(_) => StatusCode::NOT_FOUND,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self(status, e.message().to_string())
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let body = page("Error", &[], html! { p.error { (self.1) } });
        (self.0, body).into_response()
    }
}

type Page = Result<Html<String>, UiError>;

async fn within<T>(fut: impl Future<Output = strata_core::Result<T>>) -> Result<T, UiError> {
    match tokio::time::timeout(DEADLINE, fut).await {
        Ok(r) => r.map_err(UiError::from),
        Err(_) => Err(UiError(StatusCode::GATEWAY_TIMEOUT, "the database did not answer in time".into())),
    }
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn utc(millis: i64) -> String {
    let t = time::rfc3339_millis(millis);
    format!("{} {}", &t[..10], &t[11..23])
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:1200px}\
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;font-size:.9em}td,th{padding:.25em .6em;border-bottom:1px solid #eee;text-align:left;\
vertical-align:top}th{background:#f5f5f5}code{font-size:.9em}.muted{color:#777}.error{color:#b00}\
nav{margin-bottom:1em}nav a{margin-right:.3em}.swap{color:#06c}.drop{color:#b00}.restore{color:#080}\
svg{background:#fafafa;border:1px solid #eee}td:first-child{white-space:nowrap}";

fn page(title: &str, crumbs: &[(String, String)], body: Markup) -> Html<String> {
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    title { (title) " · Strata" }
                    style { (PreEscaped(CSS)) }
                }
                body {
                    nav {
                        a href="/ui/" { "Strata" }
                        @for (label, href) in crumbs { " / " a href=(href) { (label) } }
                    }
                    h1 { (title) }
                    (body)
                    p.muted { "Read-only view of the metastore and its location history. "
                        a href="/metrics" { "metrics" } " · " a href="/health/ready" { "readiness" } }
                }
            }
        }
        .into_string(),
    )
}

async fn databases(State(s): St) -> Page {
    let dbs = within(s.shared.catalog.list_databases(None)).await?;
    Ok(page(
        "Databases",
        &[],
        html! {
            @if dbs.is_empty() { p { "No databases." } }
            ul.databases { @for d in &dbs { li { a href={ "/ui/db/" (enc(d)) } { (d) } } } }
        },
    ))
}

async fn tables(State(s): St, Path(db): Path<String>) -> Page {
    let catalog = &s.shared.catalog;
    let names = within(catalog.list_table_names(&db, None, None)).await?;
    Ok(page(
        &db,
        &[(db.clone(), format!("/ui/db/{}", enc(&db)))],
        html! {
            @if names.is_empty() { p { "No tables." } }
            ul.tables { @for t in &names { li { a href={ "/ui/db/" (enc(&db)) "/" (enc(t)) } { (t) } } } }
        },
    ))
}

/// Query of a table page.
#[derive(Debug, Deserialize)]
pub struct TableQuery {
    /// List partitions after this name.
    after: Option<String>,
    /// Show what a rollback to this time would do.
    rollback_to: Option<String>,
}

async fn table(State(s): St, Path((db, name)): Path<(String, String)>, Query(q): Query<TableQuery>) -> Page {
    let catalog = &s.shared.catalog;
    let store = catalog.store();
    let t = within(catalog.get_table(&db, &name)).await?;
    let (db, name) = (t.db_name.clone(), t.name.clone());
    let partitioned = !t.partition_keys.is_empty();
    let batches = within(store.batch_summaries(&db, &name, TIMELINE)).await?;
    let events = within(store.table_events(&db, &name, EVENTS)).await?;
    let tags = within(catalog.list_tags(&db, &name)).await?;
    let count = within(store.partition_count(&db, &name)).await?;
    let after = q.after.as_deref().filter(|a| !a.is_empty());
    let mut parts = within(store.partition_page(&db, &name, after, PAGE as i64 + 1)).await?;
    let more = parts.len() > PAGE;
    parts.truncate(PAGE);
    let plan = match q.rollback_to.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => None,
        Some(to) => Some(match Target::parse(to) {
            Ok(target) => match within(catalog.plan_table_rollback(&db, &name, target.millis())).await {
                Ok(changes) => Ok((to.to_string(), target.millis(), changes)),
                Err(e) => Err(e.1),
            },
            Err(e) => Err(e.message().to_string()),
        }),
    };
    let base = format!("/ui/db/{}/{}", enc(&db), enc(&name));
    let keys: Vec<&str> = t.partition_keys.iter().map(|k| k.name.as_str()).collect();
    let body = html! {
        table.summary {
            tr { th { "location" } td { code { (t.sd.location.as_deref().unwrap_or("")) } } }
            tr { th { "type" } td { (t.table_type) } }
            tr { th { "owner" } td { (t.owner.as_deref().unwrap_or("")) } }
            tr { th { "partition keys" } td { (keys.join(", ")) } }
            tr { th { "partitions" } td.partition-count { (count) } }
            tr { th { "batch mode" } td { (catalog.batch_mode(&t).to_string()) } }
        }

        h2 id="timeline" { "Timeline of writes" }
        @if batches.is_empty() {
            p { "No partition has been written yet." }
        } @else {
            p.muted { "Each write is one request (a Thrift call or an admin command) and the partitions it changed; "
                "newest first" @if batches.len() as i64 == TIMELINE { ", the latest " (TIMELINE) " shown" } "." }
            (timeline_svg(&batches))
            table.batches {
                tr { th { "when (UTC)" } th { "operation" } th { "partitions" } th { "batch" } th { "who" }
                     th { "client" } th { "request" } th { "" } }
                @for b in &batches {
                    tr.batch data-request=(b.request_id) {
                        td { (utc(b.first_millis)) }
                        td { (b.operation) }
                        td title={ (b.min_partition.as_deref().unwrap_or("")) " … " (b.max_partition.as_deref().unwrap_or("")) } {
                            (b.partitions)
                            @if b.partitions == 1 { " " span.muted { (b.min_partition.as_deref().unwrap_or("")) } }
                        }
                        td { (batch_label(b)) }
                        td { (b.actor) }
                        td { (b.client_addr) }
                        td { code.muted { (b.request_id) } }
                        td { a href={ (base) "?rollback_to=" (enc(&time::rfc3339_millis(b.first_millis - 1))) "#rollback" }
                             { "before this?" } }
                    }
                }
            }
        }
        @if !events.is_empty() {
            h2 { "Table events" }
            table.events {
                tr { th { "when (UTC)" } th { "operation" } th { "location" } th { "who" } th { "client" } }
                @for e in &events {
                    tr { td { (utc(e.at_millis)) } td { (e.operation) }
                         td { code { (e.new_location.as_deref().unwrap_or("")) } } td { (e.actor) } td { (e.client_addr) } }
                }
            }
        }

        h2 id="tags" { "Tags" }
        @if tags.is_empty() {
            p.muted { "No tags (" code { "strata tag " (db) "." (name) " NAME" } " names a state)." }
        } @else {
            table.tags {
                tr { th { "tag" } th { "names the state at (UTC)" } th { "by" } th { "" } }
                @for tag in &tags {
                    tr.tag { td { code { (name) "@" (tag.name) } } td { (utc(tag.at_millis)) } td { (tag.created_by) }
                        td { a href={ (base) "?rollback_to=" (enc(&time::rfc3339_millis(tag.at_millis))) "#rollback" }
                             { "roll back here?" } } }
                }
            }
        }

        h2 id="rollback" { "What would a rollback do?" }
        @if partitioned {
            form method="get" action=(base) {
                label { "Roll " (db) "." (name) " back to " }
                input type="text" name="rollback_to" size="28"
                    value=(q.rollback_to.clone().unwrap_or_else(|| time::rfc3339_millis(time::now_millis())));
                " " button type="submit" { "Dry run" }
                span.muted { " ISO 8601 time (UTC) or a batch id YYYYMMDDHHMMSS. Nothing is changed." }
            }
            @match &plan {
                None => {}
                Some(Err(message)) => { p.error { (message) } }
                Some(Ok((to, millis, changes))) => { (plan_view(&db, &name, to, *millis, changes)) }
            }
        } @else {
            p.muted { "Only partitioned tables can be rolled back." }
        }

        @if partitioned {
            h2 id="partitions" { "Partitions" }
            form method="get" action=(base) {
                label { "Start after " } input type="text" name="after" value=(after.unwrap_or("")) placeholder="k=v/…";
                " " button type="submit" { "Go" }
                span.muted { " " (count) " partitions, " (PAGE) " a page, by name" }
            }
            table.partitions {
                tr { th { "partition" } th { "location" } }
                @for (p, loc) in &parts {
                    tr.partition { td { a href={ (base) "/partition?name=" (enc(p)) } { (p) } }
                        td { code { (loc.as_deref().unwrap_or("")) } } }
                }
            }
            p {
                @if after.is_some() { a href={ (base) "#partitions" } { "« first page" } " " }
                @if more { @if let Some((last, _)) = parts.last() {
                    a.next href={ (base) "?after=" (enc(last)) "#partitions" } { "next page »" }
                } }
            }
        }
    };
    Ok(page(
        &format!("{db}.{name}"),
        &[(db.clone(), format!("/ui/db/{}", enc(&db))), (name.clone(), base.clone())],
        body,
    ))
}

fn batch_label(b: &BatchSummary) -> String {
    match (&b.min_batch, &b.max_batch) {
        (Some(lo), Some(hi)) if lo == hi => lo.clone(),
        (Some(lo), Some(hi)) => format!("{lo} … {hi}"),
        _ => String::new(),
    }
}

/// The writes on a time axis: one bar per write, its height growing with the partitions it
/// changed (log scale).
fn timeline_svg(batches: &[BatchSummary]) -> Markup {
    const W: f64 = 900.0;
    const H: f64 = 110.0;
    const PAD: f64 = 30.0;
    let lo = batches.iter().map(|b| b.first_millis).min().unwrap_or(0);
    let hi = batches.iter().map(|b| b.first_millis).max().unwrap_or(0);
    let span = (hi - lo).max(1) as f64;
    let most = batches.iter().map(|b| b.partitions).max().unwrap_or(1).max(1) as f64;
    let x = |ms: i64| PAD + (ms - lo) as f64 / span * (W - 2.0 * PAD);
    let h = |n: i64| 8.0 + ((n as f64).ln_1p() / most.ln_1p()) * (H - 40.0);
    html! {
        svg.timeline width=(W) height=(H) viewBox={ "0 0 " (W) " " (H) } xmlns="http://www.w3.org/2000/svg"
            role="img" aria-label="timeline of writes" {
            line x1=(PAD) y1=(H - 20.0) x2=(W - PAD) y2=(H - 20.0) stroke="#999" {}
            @for b in batches {
                @let bh = h(b.partitions);
                rect.bar x=(format!("{:.1}", x(b.first_millis) - 2.0)) y=(format!("{:.1}", H - 20.0 - bh)) width="4"
                    height=(format!("{bh:.1}")) fill="#3b7dd8" {
                    title { (utc(b.first_millis)) " · " (b.operation) " · " (b.partitions) " partition(s) · " (b.actor) }
                }
            }
            text x=(PAD) y=(H - 5.0) font-size="11" fill="#555" { (utc(lo)) }
            text x=(W - PAD) y=(H - 5.0) font-size="11" fill="#555" text-anchor="end" { (utc(hi)) }
        }
    }
}

fn plan_view(db: &str, name: &str, to: &str, millis: i64, changes: &[Change]) -> Markup {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for c in changes {
        *counts.entry(c.action).or_default() += 1;
    }
    html! {
        div.plan {
            p { code { "strata rollback " (db) "." (name) " --to " (to) " --dry-run" }
                " (the state at " (utc(millis)) " UTC) would change " strong.plan-count { (changes.len()) }
                " partition(s)"
                @if !counts.is_empty() { ": " @for (i, (a, n)) in counts.iter().enumerate() {
                    @if i > 0 { ", " } span class=(a) { (n) " " (a) } } }
                "." }
            @if !changes.is_empty() {
                table.changes {
                    tr { th { "action" } th { "partition" } th { "from" } th { "to" } }
                    @for c in changes.iter().take(PLAN_ROWS) {
                        tr.change { td class=(c.action) { (c.action) } td { (c.partition) }
                            td { code { (c.from.as_deref().unwrap_or("")) } } td { code { (c.to.as_deref().unwrap_or("")) } } }
                    }
                }
                @if changes.len() > PLAN_ROWS { p.muted { "… and " (changes.len() - PLAN_ROWS) " more." } }
            }
        }
    }
}

/// Query of a partition page.
#[derive(Debug, Deserialize)]
pub struct PartitionQuery {
    /// The partition name `k=v/…`.
    name: String,
}

async fn partition(State(s): St, Path((db, table)): Path<(String, String)>, Query(q): Query<PartitionQuery>) -> Page {
    let catalog = &s.shared.catalog;
    let t = within(catalog.get_table(&db, &table)).await?;
    let (db, table) = (t.db_name.clone(), t.name.clone());
    let rows = within(catalog.store().partition_history(&db, &table, &q.name)).await?;
    let base = format!("/ui/db/{}/{}", enc(&db), enc(&table));
    if rows.is_empty() {
        return Err(UiError(StatusCode::NOT_FOUND, format!("{db}.{table} has no history for partition {}", q.name)));
    }
    let body = html! {
        p { "Every location partition " code { (q.name) } " of " (db) "." (table) " has had, oldest first." }
        (chain_svg(&rows))
        table.chain {
            tr { th { "when (UTC)" } th { "operation" } th { "batch" } th { "from" } th { "to" } th { "who" } th { "client" } }
            @for r in &rows {
                tr.link { td { (utc(r.at_millis)) } td { (r.operation) } td { (r.batch_id.as_deref().unwrap_or("")) }
                    td { code { (r.previous_location.as_deref().unwrap_or("")) } }
                    td { code { (r.new_location.as_deref().unwrap_or("")) } }
                    td { (r.actor) } td { (r.client_addr) } }
            }
        }
    };
    Ok(page(
        &q.name,
        &[(db.clone(), format!("/ui/db/{}", enc(&db))), (table.clone(), base), (q.name.clone(), String::new())],
        body,
    ))
}

/// The chain as dots joined by a line, one per location the partition had.
fn chain_svg(rows: &[HistoryEntry]) -> Markup {
    const STEP: f64 = 70.0;
    let shown: Vec<&HistoryEntry> = rows.iter().rev().take(12).rev().collect();
    let w = STEP * shown.len() as f64 + 40.0;
    html! {
        svg.chain width=(w) height="60" viewBox={ "0 0 " (w) " 60" } xmlns="http://www.w3.org/2000/svg" {
            @if shown.len() > 1 {
                line x1="40" y1="25" x2=(40.0 + STEP * (shown.len() - 1) as f64) y2="25" stroke="#999" {}
            }
            @for (i, r) in shown.iter().enumerate() {
                @let cx = 40.0 + STEP * i as f64;
                circle cx=(cx) cy="25" r="7" fill=(if r.operation.as_str().contains("drop") { "#b00" } else { "#3b7dd8" }) {
                    title { (utc(r.at_millis)) " " (r.operation) " " (r.new_location.as_deref().unwrap_or("")) }
                }
                text x=(cx) y="50" font-size="10" text-anchor="middle" fill="#555" {
                    (r.batch_id.clone().unwrap_or_else(|| r.operation.to_string()))
                }
            }
        }
    }
}
