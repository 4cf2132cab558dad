//! The bytes behind `ATTACHMENTS_URL`, through `object_store`: a local directory by default,
//! any S3-compatible bucket when several instances share the attachments.
//!
//! Each request body of an upload becomes one part object `parts/{id}/{start:020}-{random}`,
//! written as a multipart upload: it becomes visible only when the body ended, so a dropped
//! connection never leaves a partial part behind (the client resumes from the last committed
//! offset). The random suffix keeps two racing writers of the same offset from overwriting
//! each other; the database decides which one counts (`models::commit_part`).
//!
//! Memory is bounded whatever the file size: a body is copied into one buffer of the store's
//! part size, and at most one full part is being written while the next fills (so about two
//! parts per upload in flight); a download holds one read of [`READ_CHUNK`] at a time.

use std::{ops::Range, sync::Arc};

use actix_web::{
    error::PayloadError,
    web::{Bytes, BytesMut},
};
use anyhow::Context;
use futures_util::{stream::BoxStream, Stream, StreamExt, TryStreamExt};
use object_store::{
    path::Path, GetOptions, GetRange, GetResultPayload, MultipartUpload, ObjectStore, PutPayload,
};

use crate::{config::AttachmentsUrl, error::AppError};
use courier_protocol::ids::AttachmentId;

/// Bytes of a part of an S3 multipart upload: S3's minimum for every part but the last.
const S3_PART: usize = 5 << 20;
/// Bytes of a part written to a local file: one `write` each, on the blocking pool.
const LOCAL_PART: usize = 1 << 20;
/// Bytes per read of a local file when serving it. (`object_store`'s own file stream reads
/// 8 KiB at a time, each on the blocking pool: the thread hand-offs, not the disk, then cap a
/// download at about 150 MB/s on two cores.)
const READ_CHUNK: usize = 256 << 10;

#[derive(Clone)]
pub struct AttachmentStore {
    store: Arc<dyn ObjectStore>,
    /// Bytes per part of a multipart upload (the store's best size).
    part: usize,
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
        let (store, part): (Arc<dyn ObjectStore>, usize) = match url {
            AttachmentsUrl::Local(dir) => {
                std::fs::create_dir_all(dir).with_context(|| {
                    format!("creating ATTACHMENTS_URL directory {}", dir.display())
                })?;
                let local = object_store::local::LocalFileSystem::new_with_prefix(dir)?
                    .with_automatic_cleanup(true);
                (Arc::new(local), LOCAL_PART)
            }
            AttachmentsUrl::S3 { bucket, prefix } => {
                let s3 = object_store::aws::AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .build()
                    .context("ATTACHMENTS_URL s3:// (check the AWS_* variables)")?;
                let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
                    Arc::new(s3)
                } else {
                    Arc::new(object_store::prefix::PrefixStore::new(s3, prefix.as_str()))
                };
                (store, S3_PART)
            }
        };
        Ok(AttachmentStore { store, part })
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
        let mut upload: Option<PartWriter> = None;
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
                    upload = Some(PartWriter::new(multipart, self.part));
                }
                let writer = upload.as_mut().expect("just made");
                writer.write(&chunk).await.map_err(unavailable)?;
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
                    let got = store.get_opts(&Path::from(key.as_str()), options).await?;
                    Ok::<_, object_store::Error>(match got.payload {
                        GetResultPayload::File(file, _) => read_file(file, got.range),
                        GetResultPayload::Stream(stream) => stream,
                    })
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

/// The parts of one multipart upload: bytes are copied into a buffer of `part` bytes (so what
/// is held is exactly what arrived, however the transport sliced it, and a local file gets
/// one `write` per part), and a full buffer is written while the next one fills. At most one
/// part is in flight: about `2 × part` bytes per upload.
struct PartWriter {
    upload: Box<dyn MultipartUpload>,
    part: usize,
    buffer: BytesMut,
    in_flight: Option<tokio::task::JoinHandle<object_store::Result<()>>>,
}

fn join_error(e: tokio::task::JoinError) -> object_store::Error {
    object_store::Error::Generic {
        store: "attachments",
        source: Box::new(e),
    }
}

impl PartWriter {
    fn new(upload: Box<dyn MultipartUpload>, part: usize) -> Self {
        PartWriter {
            upload,
            part,
            buffer: BytesMut::new(),
            in_flight: None,
        }
    }

    async fn write(&mut self, mut data: &[u8]) -> object_store::Result<()> {
        while !data.is_empty() {
            if self.buffer.capacity() == 0 {
                self.buffer.reserve(self.part);
            }
            let n = (self.part - self.buffer.len()).min(data.len());
            self.buffer.extend_from_slice(&data[..n]);
            data = &data[n..];
            if self.buffer.len() == self.part {
                self.send().await?;
            }
        }
        Ok(())
    }

    /// Waits for the part in flight, then starts writing the buffer as the next part.
    async fn send(&mut self) -> object_store::Result<()> {
        self.settle().await?;
        let full = std::mem::take(&mut self.buffer).freeze();
        let put = self.upload.put_part(PutPayload::from(full));
        self.in_flight = Some(tokio::spawn(put));
        Ok(())
    }

    async fn settle(&mut self) -> object_store::Result<()> {
        match self.in_flight.take() {
            Some(task) => task.await.map_err(join_error)?,
            None => Ok(()),
        }
    }

    async fn finish(mut self) -> object_store::Result<()> {
        if !self.buffer.is_empty() {
            self.send().await?;
        }
        self.settle().await?;
        self.upload.complete().await.map(|_| ())
    }

    async fn abort(mut self) -> object_store::Result<()> {
        let _ = self.settle().await;
        self.upload.abort().await
    }
}

/// Reads `range` of a local file in [`READ_CHUNK`] pieces on the blocking pool (`pread`, so
/// no shared file position).
fn read_file(
    file: std::fs::File,
    range: Range<u64>,
) -> BoxStream<'static, object_store::Result<Bytes>> {
    let file = Arc::new(file);
    futures_util::stream::try_unfold(range, move |range| {
        let file = file.clone();
        async move {
            if range.start >= range.end {
                return Ok(None);
            }
            let n = (range.end - range.start).min(READ_CHUNK as u64) as usize;
            let at = range.start;
            let bytes = tokio::task::spawn_blocking(move || {
                use std::os::unix::fs::FileExt;
                let mut buffer = vec![0u8; n];
                file.read_exact_at(&mut buffer, at).map(|()| buffer)
            })
            .await
            .map_err(join_error)?
            .map_err(|e| object_store::Error::Generic {
                store: "LocalFileSystem",
                source: Box::new(e),
            })?;
            Ok(Some((Bytes::from(bytes), at + n as u64..range.end)))
        }
    })
    .boxed()
}
