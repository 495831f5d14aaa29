//! Blob stores by URI, through `object_store`: `file://` and plain paths always; `s3://`,
//! `gs://`, `abfs://`/`az://` with the features `s3`, `gcs` and `azure`. Credentials come from the
//! standard environment of each cloud (for S3 also flytekit's `FLYTE_AWS_ENDPOINT`,
//! `FLYTE_AWS_ACCESS_KEY_ID` and `FLYTE_AWS_SECRET_ACCESS_KEY`, which Flyte's sandbox sets).

use std::sync::Arc;

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
    /// A cloud store this binary was built without.
    #[error(
        "`{uri}` is in {cloud}, which this program was built without: build it with flowmap's `{feature}` \
         feature (`features = [\"flyte\", \"{feature}\"]`)"
    )]
    NotBuilt {
        /// The URI.
        uri: String,
        /// The cloud's store, in words.
        cloud: &'static str,
        /// The feature that brings it.
        feature: &'static str,
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
        "s3" | "s3a" => s3(uri, bucket)?,
        "gs" => gcs(uri, bucket)?,
        "abfs" | "abfss" | "az" | "azure" => azure(uri)?,
        _ => return Err(unsupported()),
    };
    Ok((store, path))
}

/// The S3 bucket `bucket`.
#[cfg(feature = "s3")]
fn s3(uri: &str, bucket: &str) -> Result<Arc<dyn ObjectStore>, StoreError> {
    let mut builder = object_store::aws::AmazonS3Builder::from_env().with_bucket_name(bucket);
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
    Ok(Arc::new(builder.build().map_err(|cause| unreachable_store(uri, cause))?))
}

#[cfg(not(feature = "s3"))]
fn s3(uri: &str, _: &str) -> Result<Arc<dyn ObjectStore>, StoreError> {
    Err(StoreError::NotBuilt { uri: uri.to_owned(), cloud: "S3", feature: "s3" })
}

/// The Google Cloud Storage bucket `bucket`.
#[cfg(feature = "gcs")]
fn gcs(uri: &str, bucket: &str) -> Result<Arc<dyn ObjectStore>, StoreError> {
    let builder = object_store::gcp::GoogleCloudStorageBuilder::from_env().with_bucket_name(bucket);
    Ok(Arc::new(builder.build().map_err(|cause| unreachable_store(uri, cause))?))
}

#[cfg(not(feature = "gcs"))]
fn gcs(uri: &str, _: &str) -> Result<Arc<dyn ObjectStore>, StoreError> {
    Err(StoreError::NotBuilt { uri: uri.to_owned(), cloud: "Google Cloud Storage", feature: "gcs" })
}

/// The Azure store that `uri` names.
#[cfg(feature = "azure")]
fn azure(uri: &str) -> Result<Arc<dyn ObjectStore>, StoreError> {
    let builder = object_store::azure::MicrosoftAzureBuilder::from_env().with_url(uri);
    Ok(Arc::new(builder.build().map_err(|cause| unreachable_store(uri, cause))?))
}

#[cfg(not(feature = "azure"))]
fn azure(uri: &str) -> Result<Arc<dyn ObjectStore>, StoreError> {
    Err(StoreError::NotBuilt { uri: uri.to_owned(), cloud: "Azure Blob Storage", feature: "azure" })
}

/// A store that could not be set up.
#[cfg(any(feature = "s3", feature = "gcs", feature = "azure"))]
fn unreachable_store(uri: &str, cause: object_store::Error) -> StoreError {
    StoreError::Store { action: "could not reach", uri: uri.to_owned(), cause }
}

/// The names of the cloud stores this program was built with (`s3`, `gcs`, `azure`).
#[must_use]
pub fn cloud_stores() -> Vec<&'static str> {
    [("s3", cfg!(feature = "s3")), ("gcs", cfg!(feature = "gcs")), ("azure", cfg!(feature = "azure"))]
        .into_iter()
        .filter_map(|(name, on)| on.then_some(name))
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A cloud store left out of the build is an error that names the feature to turn on.
    #[cfg(not(feature = "gcs"))]
    #[tokio::test]
    async fn a_store_built_without_names_its_feature() {
        let e = read("gs://bucket/inputs.pb").await.unwrap_err();
        assert!(matches!(e, StoreError::NotBuilt { feature: "gcs", .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            "`gs://bucket/inputs.pb` is in Google Cloud Storage, which this program was built without: build it \
             with flowmap's `gcs` feature (`features = [\"flyte\", \"gcs\"]`)"
        );
        assert!(!cloud_stores().contains(&"gcs"));
    }

    #[tokio::test]
    async fn files_need_no_feature() {
        let dir = std::env::temp_dir().join(format!("flowmap-store-{}", std::process::id()));
        let uri = format!("file://{}/x.pb", dir.display());
        write(&uri, b"bytes".to_vec()).await.unwrap();
        assert_eq!(read(&uri).await.unwrap(), b"bytes");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
