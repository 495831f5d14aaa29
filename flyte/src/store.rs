//! Blob stores by URI, through `object_store`: `s3://`, `gs://`, `abfs://`/`az://`, `file://`
//! and plain paths. Credentials come from the standard environment of each cloud (for S3 also
//! flytekit's `FLYTE_AWS_ENDPOINT`, `FLYTE_AWS_ACCESS_KEY_ID` and `FLYTE_AWS_SECRET_ACCESS_KEY`,
//! which Flyte's sandbox sets).

use std::sync::Arc;

use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, PutPayload};

/// Why a blob could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The URI names no store flowmap reaches.
    #[error("`{uri}` is not a blob URI flowmap reaches (s3://, gs://, abfs://, az://, file:// or a path)")]
    Unsupported {
        /// The URI.
        uri: String,
    },
    /// The store refused or failed. (`object_store`'s message already holds its causes, so it is
    /// part of this one rather than a source that would repeat them.)
    #[error("{action} `{uri}`: {cause}")]
    Store {
        /// `could not read` or `could not write`.
        action: &'static str,
        /// The URI.
        uri: String,
        /// Why.
        cause: object_store::Error,
    },
    /// Nothing is at the URI.
    #[error("nothing is at `{uri}`")]
    NotFound {
        /// The URI.
        uri: String,
    },
}

/// The store and the path in it that `uri` names.
fn locate(uri: &str) -> Result<(Arc<dyn ObjectStore>, Path), StoreError> {
    let unsupported = || StoreError::Unsupported { uri: uri.to_owned() };
    let store_err = |cause| StoreError::Store { action: "could not reach", uri: uri.to_owned(), cause };
    let Some((scheme, rest)) = uri.split_once("://") else {
        // A plain path.
        let path = std::path::absolute(uri).map_err(|_| unsupported())?;
        let path = Path::from_absolute_path(&path).map_err(|_| unsupported())?;
        return Ok((Arc::new(LocalFileSystem::new()), path));
    };
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    let path = Path::parse(key).map_err(|_| unsupported())?;
    let store: Arc<dyn ObjectStore> = match scheme {
        "file" => {
            let path = Path::from_absolute_path(format!("/{key}")).map_err(|_| unsupported())?;
            return Ok((Arc::new(LocalFileSystem::new()), path));
        }
        "s3" | "s3a" => {
            let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
            if let Ok(endpoint) = std::env::var("FLYTE_AWS_ENDPOINT") {
                builder = builder.with_allow_http(endpoint.starts_with("http://")).with_endpoint(endpoint);
            } else if let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL").or_else(|_| std::env::var("AWS_ENDPOINT")) {
                builder = builder.with_allow_http(endpoint.starts_with("http://")).with_endpoint(endpoint);
            }
            if let Ok(key) = std::env::var("FLYTE_AWS_ACCESS_KEY_ID") {
                builder = builder.with_access_key_id(key);
            }
            if let Ok(secret) = std::env::var("FLYTE_AWS_SECRET_ACCESS_KEY") {
                builder = builder.with_secret_access_key(secret);
            }
            Arc::new(builder.build().map_err(store_err)?)
        }
        "gs" => Arc::new(GoogleCloudStorageBuilder::from_env().with_bucket_name(bucket).build().map_err(store_err)?),
        "abfs" | "abfss" | "az" | "azure" => {
            Arc::new(MicrosoftAzureBuilder::from_env().with_url(uri).build().map_err(store_err)?)
        }
        _ => return Err(unsupported()),
    };
    Ok((store, path))
}

/// The bytes at `uri`.
pub(crate) async fn read(uri: &str) -> Result<Vec<u8>, StoreError> {
    let (store, path) = locate(uri)?;
    let got = match store.get(&path).await {
        Ok(got) => got,
        Err(object_store::Error::NotFound { .. }) => return Err(StoreError::NotFound { uri: uri.to_owned() }),
        Err(cause) => return Err(StoreError::Store { action: "could not read", uri: uri.to_owned(), cause }),
    };
    let bytes = got.bytes().await.map_err(|cause| StoreError::Store {
        action: "could not read",
        uri: uri.to_owned(),
        cause,
    })?;
    Ok(bytes.to_vec())
}

/// Writes `bytes` at `uri`.
pub(crate) async fn write(uri: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
    let (store, path) = locate(uri)?;
    store.put(&path, PutPayload::from(bytes)).await.map(|_| ()).map_err(|cause| StoreError::Store {
        action: "could not write",
        uri: uri.to_owned(),
        cause,
    })
}

/// `prefix/name`, with one slash between.
pub(crate) fn join(prefix: &str, name: &str) -> String {
    format!("{}/{name}", prefix.trim_end_matches('/'))
}
