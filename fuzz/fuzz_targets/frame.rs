//! Frame decoder: any bytes a peer can send. No panic, no allocation beyond the frame limit,
//! whatever decodes re-encodes to something that decodes to the same value, and the chunked
//! decoder (`FrameBuffer`) finds the same frames however the bytes are cut. The OPAQUE
//! messages a decoded frame carries go through their checked decoders (no panic, and only
//! messages of the exact length parse); so do the raw bytes themselves.
#![no_main]
use libfuzzer_sys::fuzz_target;
use bytes::Bytes;
use lanchat_net::codec::{decode_frame, encode, FrameBuffer};
use lanchat_net::opaque::{self, OpaqueBytes, MAX_OPAQUE_BYTES};
use lanchat_net::protocol::{ClientFrame, Reply, Request, ServerFrame};
use lanchat_net::transfer::wire::{Ready, StreamOpen, Verdict};

fn round_trip<T>(data: &[u8])
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    if let Ok(Some((value, used))) = decode_frame::<T>(data) {
        assert!(used <= data.len());
        let bytes = encode(&value).expect("a decoded value encodes");
        let (again, _) = decode_frame::<T>(&bytes).expect("re-decodes").expect("complete");
        assert_eq!(again, value);
    }
}

/// The first byte picks where the rest is cut in two chunks.
fn chunked_agrees(data: &[u8]) {
    let Some((&cut, data)) = data.split_first() else {
        return;
    };
    let (first, second) = data.split_at(usize::from(cut).min(data.len()));
    // The reference: the slice decoder, frame after frame over all the bytes.
    let mut expected = Vec::new();
    let mut rest = data;
    let reference_failed = loop {
        match decode_frame::<ClientFrame>(rest) {
            Ok(Some((value, used))) => {
                expected.push(value);
                rest = rest.get(used..).expect("used is within the input");
            }
            Ok(None) => break false,
            Err(_) => break true,
        }
    };
    let mut buffer = FrameBuffer::new();
    let mut got = Vec::new();
    let mut failed = false;
    'chunks: for part in [first, second] {
        buffer.push(Bytes::copy_from_slice(part));
        loop {
            match buffer.decode::<ClientFrame>() {
                Ok(Some(value)) => got.push(value),
                Ok(None) => break,
                Err(_) => {
                    failed = true;
                    break 'chunks;
                }
            }
        }
    }
    assert_eq!(got, expected);
    assert_eq!(failed, reference_failed);
}

/// Every OPAQUE decoder on `b`: none may panic, none accepts more than the limit.
fn opaque_decoders(b: &OpaqueBytes) {
    assert!(b.as_bytes().len() <= MAX_OPAQUE_BYTES);
    let _ = opaque::registration_request(b);
    let _ = opaque::registration_response(b);
    let _ = opaque::registration_upload(b);
    let _ = opaque::credential_request(b);
    let _ = opaque::credential_response(b);
    let _ = opaque::credential_finalization(b);
    let _ = opaque::stored_record(b.as_bytes());
}

/// The OPAQUE messages of decoded frames, and the bytes themselves as one.
fn opaque_messages(data: &[u8]) {
    if let Ok(Some((frame, _))) = decode_frame::<ClientFrame>(data) {
        match &frame.request {
            Request::RegisterStart { request, .. }
            | Request::LoginStart { request, .. }
            | Request::LegacyLogin { request, .. } => opaque_decoders(request),
            Request::RegisterFinish { upload } => opaque_decoders(upload),
            Request::LoginFinish { finalization } => opaque_decoders(finalization),
            Request::PasswordStart { login, registration } => {
                opaque_decoders(login);
                opaque_decoders(registration);
            }
            Request::PasswordFinish {
                finalization,
                upload,
            } => {
                opaque_decoders(finalization);
                opaque_decoders(upload);
            }
            _ => {}
        }
    }
    if let Ok(Some((ServerFrame::Reply { result: Ok(reply), .. }, _))) =
        decode_frame::<ServerFrame>(data)
    {
        match &reply {
            Reply::RegisterResponse { response } | Reply::LoginResponse { response } => {
                opaque_decoders(response)
            }
            Reply::PasswordResponse {
                login,
                registration,
            } => {
                opaque_decoders(login);
                opaque_decoders(registration);
            }
            _ => {}
        }
    }
    if let Ok(raw) = OpaqueBytes::new(data.to_vec()) {
        opaque_decoders(&raw);
    }
}

fuzz_target!(|data: &[u8]| {
    chunked_agrees(data);
    opaque_messages(data);
    round_trip::<ClientFrame>(data);
    round_trip::<ServerFrame>(data);
    round_trip::<StreamOpen>(data);
    round_trip::<Ready>(data);
    round_trip::<Verdict>(data);
});
