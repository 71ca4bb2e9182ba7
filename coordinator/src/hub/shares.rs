//! Files shared into conversations: upload tickets, storage quotas, download rights.
//!
//! A share is always answered with an upload ticket carrying a fresh nonce, whether or not the
//! content is stored already; the upload stream (see `streams`) opens with the keyed BLAKE3 of
//! the content under that nonce, and only a matching proof against stored content skips the
//! bytes. So knowing a file's hash is not enough to post it (and so to download it), and the
//! answer to a share says nothing about what the coordinator stores.
//!
//! Bounds: a file at most [`ShareLimits::max_file`]; per user at most
//! [`MAX_UPLOADS_PER_USER`] uploads waiting (a new share of the same content replaces the
//! older ticket) and [`ShareLimits::user_quota`] bytes of distinct content shared, uploads in
//! progress and abandoned partial uploads included; all users together
//! [`ShareLimits::total_quota`]. A ticket opens upload streams for [`UPLOAD_TTL_MS`]; partial
//! uploads are swept once untouched for a day (see [`crate::blobs`]).
use std::collections::HashMap;
use std::path::PathBuf;

use lanchat_net::protocol::{ConvRef, ErrorCode, MsgId, Reply, UploadTicket};
use lanchat_net::transfer::wire::FileMeta;
use lanchat_store::{ConvId, Reads as _, UserId};

use super::offers::{check_name, random_token};
use super::{err, Hub, Refusal};
use crate::blobs::Blobs;

/// Default limit for files shared into conversations, in MiB.
pub const DEFAULT_MAX_SHARE_MIB: u64 = 4096;
/// The same in bytes.
pub const DEFAULT_MAX_SHARE_BYTES: u64 = DEFAULT_MAX_SHARE_MIB * 1024 * 1024;
/// Default storage quota of one user, in MiB.
pub const DEFAULT_USER_QUOTA_MIB: u64 = 20 * 1024;
/// Default storage for shared files of everyone together, in MiB.
pub const DEFAULT_TOTAL_QUOTA_MIB: u64 = 200 * 1024;
/// Uploads one user may have waiting (ticket issued, content not yet in).
pub const MAX_UPLOADS_PER_USER: usize = 8;
/// How long a ticket opens new upload streams (a stream under way finishes regardless).
pub const UPLOAD_TTL_MS: i64 = 3600 * 1000;

const MIB: u64 = 1024 * 1024;

/// How much may be shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShareLimits {
    /// Largest file, in bytes.
    pub max_file: u64,
    /// Bytes one user may have shared (distinct content), uploads in progress included.
    pub user_quota: u64,
    /// Bytes of shared content the coordinator keeps for everyone, uploads included.
    pub total_quota: u64,
}

impl Default for ShareLimits {
    fn default() -> Self {
        ShareLimits {
            max_file: DEFAULT_MAX_SHARE_BYTES,
            user_quota: DEFAULT_USER_QUOTA_MIB * MIB,
            total_quota: DEFAULT_TOTAL_QUOTA_MIB * MIB,
        }
    }
}

/// An upload the coordinator agreed to take.
#[derive(Debug, Clone)]
pub struct Upload {
    /// Who uploads.
    pub user: UserId,
    /// Into which conversation.
    pub conv: ConvId,
    /// The file message's client id.
    pub msg: MsgId,
    /// File name.
    pub name: String,
    /// Size.
    pub size: u64,
    /// BLAKE3.
    pub hash: [u8; 32],
    /// The key of the proof of possession the upload stream must open with.
    pub nonce: [u8; 32],
    token: [u8; 32],
    /// When the ticket was issued.
    since_ms: i64,
}

/// What a download needs.
#[derive(Debug, Clone)]
pub struct Download {
    /// Name, size, hash.
    pub meta: FileMeta,
    /// The blob on disk.
    pub path: PathBuf,
}

/// Shared-file state of the hub.
#[derive(Debug)]
pub(super) struct Shares {
    uploads: HashMap<u64, Upload>,
    next_id: u64,
    /// Where shared content lives; None: sharing is disabled.
    blobs: Option<Blobs>,
    limits: ShareLimits,
}

impl Default for Shares {
    fn default() -> Self {
        Shares {
            uploads: HashMap::new(),
            next_id: 1,
            blobs: None,
            limits: ShareLimits::default(),
        }
    }
}

impl Shares {
    fn expire(&mut self, now_ms: i64) {
        self.uploads
            .retain(|_, u| now_ms.saturating_sub(u.since_ms) < UPLOAD_TTL_MS);
    }

    /// Bytes on their way in for `user` (everyone with `None`): each waiting upload's size,
    /// and what partial uploads no ticket stands for still hold on disk.
    fn in_progress(&self, blobs: &Blobs, user: Option<UserId>) -> u64 {
        let mine = |u: UserId| user.is_none_or(|me| me == u);
        let mut bytes: u64 = self
            .uploads
            .values()
            .filter(|u| mine(u.user))
            .map(|u| u.size)
            .sum();
        for partial in blobs.partials() {
            let ticketed = self
                .uploads
                .values()
                .any(|u| u.user == partial.user && u.hash == partial.hash);
            if mine(partial.user) && !ticketed {
                bytes = bytes.saturating_add(partial.bytes);
            }
        }
        bytes
    }
}

impl Hub {
    /// Enables shared files, kept in `blobs`, within `limits`.
    pub fn enable_sharing(&mut self, blobs: Blobs, limits: ShareLimits) {
        self.shares.blobs = Some(blobs);
        self.shares.limits = limits;
    }

    /// Where shared content lives, if sharing is enabled.
    pub fn blobs(&self) -> Option<Blobs> {
        self.shares.blobs.clone()
    }

    /// `file` is what the member says they share (name, size, hash) as message `msg` of
    /// `conv`: a ticket to upload it with, whatever the coordinator holds already.
    pub(super) fn share_file(
        &mut self,
        me: UserId,
        conv: ConvRef,
        msg: MsgId,
        file: FileMeta,
        now_ms: i64,
    ) -> Result<Reply, Refusal> {
        let FileMeta { name, size, hash } = file;
        check_name(&name)?;
        let Some(blobs) = self.shares.blobs.clone() else {
            return Err(err(
                ErrorCode::PermissionDenied,
                "this coordinator does not keep shared files",
            ));
        };
        let limits = self.shares.limits;
        if size > limits.max_file {
            return Err(err(
                ErrorCode::TooLarge,
                format!(
                    "{name} is {size} bytes; this coordinator keeps shared files up to {} bytes",
                    limits.max_file
                ),
            ));
        }
        let (c, _) = self.resolve(me, &conv, now_ms)?;
        super::delivery::check_writable(&c)?;
        self.shares.expire(now_ms);
        // Sharing the same content again replaces the older ticket (and resumes its partial).
        self.shares
            .uploads
            .retain(|_, u| !(u.user == me && u.hash == hash));
        let waiting = self
            .shares
            .uploads
            .values()
            .filter(|u| u.user == me)
            .count();
        if waiting >= MAX_UPLOADS_PER_USER {
            return Err(err(
                ErrorCode::QuotaExceeded,
                format!(
                    "you have {MAX_UPLOADS_PER_USER} uploads that have not finished; let them \
                     finish, or wait an hour for them to expire"
                ),
            ));
        }
        // Counted whether or not the content is stored already, so a refusal says nothing
        // about what the coordinator holds.
        let mine = self.store.storage_of(me)? + self.shares.in_progress(&blobs, Some(me));
        if mine.saturating_add(size) > limits.user_quota {
            return Err(err(
                ErrorCode::QuotaExceeded,
                format!(
                    "sharing {name} ({size} bytes) would take your shared files to {} bytes; \
                     your quota is {} bytes",
                    mine.saturating_add(size),
                    limits.user_quota
                ),
            ));
        }
        let all = self.store.storage_total()? + self.shares.in_progress(&blobs, None);
        if all.saturating_add(size) > limits.total_quota {
            return Err(err(
                ErrorCode::QuotaExceeded,
                format!(
                    "the coordinator's space for shared files is full ({all} of {} bytes used); \
                     {name} ({size} bytes) does not fit. Ask the administrator",
                    limits.total_quota
                ),
            ));
        }
        let id = self.shares.next_id;
        self.shares.next_id += 1;
        let upload = Upload {
            user: me,
            conv: c.id,
            msg,
            name,
            size,
            hash,
            nonce: random_token(),
            token: random_token(),
            since_ms: now_ms,
        };
        let ticket = UploadTicket {
            id,
            token: upload.token,
            nonce: upload.nonce,
        };
        self.shares.uploads.insert(id, upload);
        Ok(Reply::ShareReady { ticket })
    }

    /// The upload a ticket stands for at `now_ms`, if `user` holds it.
    pub fn upload(
        &mut self,
        user: UserId,
        ticket: u64,
        token: &[u8; 32],
        now_ms: i64,
    ) -> Result<Upload, Refusal> {
        self.shares.expire(now_ms);
        self.shares
            .uploads
            .get(&ticket)
            .filter(|u| u.user == user && u.token == *token)
            .cloned()
            .ok_or_else(|| {
                err(
                    ErrorCode::PermissionDenied,
                    format!(
                        "upload ticket {ticket} is not yours, or expired after {} minutes; \
                         share the file again",
                        UPLOAD_TTL_MS / 60_000
                    ),
                )
            })
    }

    /// The content of `upload` (ticket `ticket`) is stored, and its uploader proved they hold
    /// it: the file message goes into the conversation, posted at `now_ms` (also when the
    /// ticket expired while the bytes were moving).
    pub fn finish_upload(
        &mut self,
        ticket: u64,
        upload: &Upload,
        now_ms: i64,
    ) -> Result<(), Refusal> {
        self.shares.uploads.remove(&ticket);
        let (_, appended) = self.store.share_file(
            upload.conv,
            upload.user,
            &upload.msg.0,
            &upload.name,
            upload.size,
            &upload.hash,
            now_ms,
        )?;
        if !appended.duplicate {
            if let Some(c) = self.store.conversation(upload.conv)? {
                self.fan_out(&c, appended.seq)?;
            }
        }
        Ok(())
    }

    /// No share refers to this content any more: it leaves the disk.
    pub(super) fn forget_content(&mut self, hash: &[u8; 32]) {
        if let Some(blobs) = &self.shares.blobs {
            if let Err(e) = blobs.remove(hash) {
                tracing::warn!("cannot remove a shared file no longer shared: {e}");
            }
        }
    }

    /// A conversation is gone: the uploads into it will not be posted.
    pub(super) fn forget_uploads_into(&mut self, conv: ConvId) {
        self.shares.uploads.retain(|_, u| u.conv != conv);
    }

    /// What `user` may download as shared file `id`.
    pub fn download(&self, user: UserId, id: u64) -> Result<Download, Refusal> {
        let missing = || {
            err(
                ErrorCode::NoSuchFile,
                format!("there is no shared file {id}"),
            )
        };
        let file = self
            .store
            .shared_file(i64::try_from(id).map_err(|_| missing())?)?
            .ok_or_else(missing)?;
        // The same answer whether the member is not in the conversation or joined a private
        // room after the file was shared there: it is not theirs to read.
        let readable = self
            .store
            .membership(file.conv_id, user)?
            .is_some_and(|m| file.seq > m.since_seq);
        if !readable {
            return Err(err(
                ErrorCode::PermissionDenied,
                format!("file {id} was shared in a conversation you are not in"),
            ));
        }
        let blobs = self.shares.blobs.as_ref().ok_or_else(missing)?;
        Ok(Download {
            path: blobs.path(&file.hash),
            meta: FileMeta {
                name: file.name,
                size: file.size,
                hash: file.hash,
            },
        })
    }
}
