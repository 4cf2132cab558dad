//! The bytes behind `ATTACHMENTS_URL`, through `object_store`: a local directory by default,
//! any S3-compatible bucket when several instances share the attachments.
//!
//! Each request body of an upload becomes one part object `parts/{id}/{start:020}-{random}`,
//! written as a multipart upload: it becomes visible only when the body ended, so a dropped
//! connection never leaves a partial part behind (the client resumes from the last committed
//! offset). The random suffix keeps two racing writers of the same offset from overwriting
//! each other; the database decides which one counts (`models::commit_part`).

use std::{ops::Range, sync::Arc};

use actix_web::{error::PayloadError, web::Bytes};
use anyhow::Context;
use futures_util::{Stream, StreamExt, TryStreamExt};
use object_store::{path::Path, GetOptions, GetRange, ObjectStore, WriteMultipart};

use crate::{config::AttachmentsUrl, error::AppError};
use courier_protocol::ids::AttachmentId;

/// Bytes buffered before a part of a multipart upload is sent (S3's minimum part size): with
/// one part in flight, an upload holds at most about twice this in memory, whatever its size.
const CHUNK: usize = 5 << 20;

#[derive(Clone)]
pub struct AttachmentStore {
    store: Arc<dyn ObjectStore>,
}

/// A committed body: its object and length.
pub struct WrittenPart {
    pub key: String,
    pub length: u64,
}

fn unavailable(e: object_store::Error) -> AppError {
    AppError::Unavailable(anyhow::Error::new(e).context("attachment store"))
}

impl AttachmentStore {
    /// Opens (for a local directory: creates) the store named by `ATTACHMENTS_URL`.
    pub fn open(url: &AttachmentsUrl) -> anyhow::Result<Self> {
        let store: Arc<dyn ObjectStore> = match url {
            AttachmentsUrl::Local(dir) => {
                std::fs::create_dir_all(dir).with_context(|| {
                    format!("creating ATTACHMENTS_URL directory {}", dir.display())
                })?;
                Arc::new(
                    object_store::local::LocalFileSystem::new_with_prefix(dir)?
                        .with_automatic_cleanup(true),
                )
            }
            AttachmentsUrl::S3 { bucket, prefix } => {
                let s3 = object_store::aws::AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .build()
                    .context("ATTACHMENTS_URL s3:// (check the AWS_* variables)")?;
                if prefix.is_empty() {
                    Arc::new(s3)
                } else {
                    Arc::new(object_store::prefix::PrefixStore::new(s3, prefix.as_str()))
                }
            }
        };
        Ok(AttachmentStore { store })
    }

    fn prefix(id: AttachmentId) -> Path {
        Path::from(format!("parts/{id}"))
    }

    /// Streams `body` into a new part object of `id` starting at `start`, refusing more than
    /// `room` bytes (413). `None` for an empty body (no object is made). The object exists only
    /// if the body ended normally.
    pub async fn write_part<S>(
        &self,
        id: AttachmentId,
        start: u64,
        room: u64,
        mut body: S,
    ) -> Result<Option<WrittenPart>, AppError>
    where
        S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
    {
        let key = format!("parts/{id}/{start:020}-{}", uuid::Uuid::new_v4().simple());
        let mut upload: Option<WriteMultipart> = None;
        let mut length: u64 = 0;
        let result: Result<(), AppError> = async {
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(|e| {
                    AppError::bad("incomplete_body", format!("the body ended early: {e}"))
                })?;
                if chunk.is_empty() {
                    continue;
                }
                length += chunk.len() as u64;
                if length > room {
                    return Err(AppError::TooLarge(format!(
                        "the body goes past Upload-Length: {room} bytes remain"
                    )));
                }
                if upload.is_none() {
                    let multipart = self
                        .store
                        .put_multipart(&Path::from(key.as_str()))
                        .await
                        .map_err(unavailable)?;
                    upload = Some(WriteMultipart::new_with_chunk_size(multipart, CHUNK));
                }
                let writer = upload.as_mut().expect("just made");
                writer.wait_for_capacity(1).await.map_err(unavailable)?;
                writer.put(chunk);
            }
            Ok(())
        }
        .await;
        match (result, upload) {
            (Ok(()), None) => Ok(None),
            (Ok(()), Some(writer)) => {
                writer.finish().await.map_err(unavailable)?;
                Ok(Some(WrittenPart { key, length }))
            }
            (Err(e), writer) => {
                if let Some(writer) = writer {
                    if let Err(abort) = writer.abort().await {
                        tracing::warn!(error = %abort, "attachment part: abort failed");
                    }
                }
                Err(e)
            }
        }
    }

    /// The bytes `range` of each `(object key, range within it)`, in order, as one stream.
    pub fn read(
        &self,
        segments: Vec<(String, Range<u64>)>,
    ) -> impl Stream<Item = Result<Bytes, object_store::Error>> + 'static {
        let store = self.store.clone();
        futures_util::stream::iter(segments)
            .then(move |(key, range)| {
                let store = store.clone();
                async move {
                    let options = GetOptions {
                        range: Some(GetRange::Bounded(range)),
                        ..Default::default()
                    };
                    store
                        .get_opts(&Path::from(key.as_str()), options)
                        .await
                        .map(|got| got.into_stream())
                }
            })
            .try_flatten()
    }

    /// Deletes every object of a committed part, `key`, right away (a part that lost a race).
    pub async fn delete_object(&self, key: &str) {
        if let Err(e) = self.store.delete(&Path::from(key)).await {
            tracing::warn!(error = %e, "attachment part: delete failed");
        }
    }

    /// Deletes every object of these attachments, including parts that never counted. Errors
    /// are logged: the rows are already gone, so the objects are unreachable either way.
    pub async fn remove(&self, ids: &[AttachmentId]) {
        for id in ids {
            let prefix = Self::prefix(*id);
            let objects = self
                .store
                .list(Some(&prefix))
                .map_ok(|meta| meta.location)
                .boxed();
            let deleted: Vec<_> = self.store.delete_stream(objects).collect().await;
            for failed in deleted.into_iter().filter_map(Result::err) {
                if !matches!(failed, object_store::Error::NotFound { .. }) {
                    tracing::warn!(error = %failed, attachment = %id, "attachment objects: delete failed");
                }
            }
        }
    }
}
