//! Frame decoder: any bytes a peer can send. No panic, no allocation beyond the frame limit,
//! and whatever decodes re-encodes to something that decodes to the same value.
#![no_main]
use libfuzzer_sys::fuzz_target;
use lanchat_net::codec::{decode_frame, encode};
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

fuzz_target!(|data: &[u8]| {
    round_trip::<ClientFrame>(data);
    round_trip::<ServerFrame>(data);
    round_trip::<StreamOpen>(data);
    round_trip::<Ready>(data);
    round_trip::<Verdict>(data);
});
