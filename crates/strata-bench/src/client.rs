//! A plain HMS Thrift client (binary protocol, unframed: what Spark and Trino speak) and
//! builders for the objects the workloads create.

use std::{net::TcpStream, time::Duration};

use strata_thrift as t;
use thrift::{
    protocol::{TBinaryInputProtocol, TBinaryOutputProtocol},
    transport::{ReadHalf, TBufferedReadTransport, TBufferedWriteTransport, TIoChannel, TTcpChannel, WriteHalf},
};

/// The generated client over a buffered TCP channel.
pub type Client = t::ThriftHiveMetastoreSyncClient<
    TBinaryInputProtocol<TBufferedReadTransport<ReadHalf<TTcpChannel>>>,
    TBinaryOutputProtocol<TBufferedWriteTransport<WriteHalf<TTcpChannel>>>,
>;

/// The `host:port` of a `thrift://host:port` URI.
pub fn address(uri: &str) -> Result<String, String> {
    let rest = uri.strip_prefix("thrift://").ok_or_else(|| format!("not a thrift:// URI: {uri}"))?;
    Ok(rest.trim_end_matches('/').to_string())
}

/// Connect to a metastore.
pub fn connect(uri: &str) -> Result<Client, String> {
    let addr = address(uri)?;
    let stream = TcpStream::connect(&addr).map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(600))).map_err(|e| e.to_string())?;
    let channel = TTcpChannel::with_stream(stream);
    let (r, w) = channel.split().map_err(|e| e.to_string())?;
    Ok(t::ThriftHiveMetastoreSyncClient::new(
        TBinaryInputProtocol::new(TBufferedReadTransport::with_capacity(64 * 1024, r), true),
        TBinaryOutputProtocol::new(TBufferedWriteTransport::with_capacity(64 * 1024, w), true),
    ))
}

/// A database at the server's default location.
#[must_use]
pub fn database(name: &str) -> t::Database {
    t::Database {
        name: Some(name.to_string()),
        description: Some("strata bench".to_string()),
        location_uri: None,
        parameters: Some(t::StrMap::new()),
        privileges: None,
        owner_name: Some("bench".to_string()),
        owner_type: Some(t::PrincipalType::USER),
        catalog_name: None,
        create_time: None,
        managed_location_uri: None,
        type_: None,
        connector_name: None,
        remote_dbname: None,
    }
}

fn field(name: &str, ty: &str) -> t::FieldSchema {
    t::FieldSchema { name: Some(name.to_string()), type_: Some(ty.to_string()), comment: None }
}

/// A parquet storage descriptor (as Spark writes it), optionally with a location.
#[must_use]
pub fn storage(location: Option<String>) -> t::StorageDescriptor {
    t::StorageDescriptor {
        cols: Some(vec![field("id", "bigint"), field("item", "string"), field("price", "double")]),
        location,
        input_format: Some("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat".to_string()),
        output_format: Some("org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat".to_string()),
        compressed: Some(false),
        num_buckets: Some(-1),
        serde_info: Some(t::SerDeInfo {
            name: None,
            serialization_lib: Some("org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe".to_string()),
            parameters: Some(t::StrMap::from_iter([("serialization.format".to_string(), "1".to_string())])),
            description: None,
            serializer_class: None,
            deserializer_class: None,
            serde_type: None,
        }),
        bucket_cols: Some(Vec::new()),
        sort_cols: Some(Vec::new()),
        parameters: Some(t::StrMap::new()),
        skewed_info: None,
        stored_as_sub_directories: Some(false),
    }
}

/// An external table partitioned by `ds string` (external so that dropping it leaves files
/// alone on both servers: the workloads measure metadata).
#[must_use]
pub fn table(db: &str, name: &str) -> t::Table {
    t::Table {
        table_name: Some(name.to_string()),
        db_name: Some(db.to_string()),
        owner: Some("bench".to_string()),
        create_time: None,
        last_access_time: None,
        retention: Some(0),
        sd: Some(storage(None)),
        partition_keys: Some(vec![field("ds", "string")]),
        parameters: Some(t::StrMap::from_iter([("EXTERNAL".to_string(), "TRUE".to_string())])),
        view_original_text: None,
        view_expanded_text: None,
        table_type: Some("EXTERNAL_TABLE".to_string()),
        privileges: None,
        temporary: None,
        rewrite_enabled: None,
        creation_metadata: None,
        cat_name: None,
        owner_type: None,
        write_id: None,
        is_stats_compliant: None,
        col_stats: None,
        access_type: None,
        required_read_capabilities: None,
        required_write_capabilities: None,
        id: None,
        file_metadata: None,
        dictionary: None,
        txn_id: None,
    }
}

/// The value of the `i`-th partition (sortable).
#[must_use]
pub fn part_value(i: usize) -> String {
    format!("d{i:08}")
}

/// A partition of [`table`] with an explicit location under `root`.
#[must_use]
pub fn partition(db: &str, table: &str, root: &str, value: &str) -> t::Partition {
    t::Partition {
        values: Some(vec![value.to_string()]),
        db_name: Some(db.to_string()),
        table_name: Some(table.to_string()),
        create_time: None,
        last_access_time: None,
        sd: Some(storage(Some(format!("{root}/{table}/ds={value}")))),
        parameters: Some(t::StrMap::new()),
        privileges: None,
        cat_name: None,
        write_id: None,
        is_stats_compliant: None,
        col_stats: None,
        file_metadata: None,
    }
}
