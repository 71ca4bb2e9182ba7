//! Frame decoder: any bytes a peer can send. No panic, no allocation beyond the frame limit,
//! whatever decodes re-encodes to something that decodes to the same value, and the chunked
//! decoder (`FrameBuffer`) finds the same frames however the bytes are cut.
#![no_main]
use libfuzzer_sys::fuzz_target;
use bytes::Bytes;
use lanchat_net::codec::{decode_frame, encode, FrameBuffer};
use lanchat_net::protocol::{ClientFrame, ServerFrame};
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

fuzz_target!(|data: &[u8]| {
    chunked_agrees(data);
    round_trip::<ClientFrame>(data);
    round_trip::<ServerFrame>(data);
    round_trip::<StreamOpen>(data);
    round_trip::<Ready>(data);
    round_trip::<Verdict>(data);
});
