//! Beacon decoding: the datagram parser (length, magic, authentication) on raw bytes, and the
//! plaintext decoder that authenticated realm members can feed anything. No panic; decoded
//! beacons seal and open back to themselves.
#![no_main]
use libfuzzer_sys::fuzz_target;
use lanchat_net::beacon::{decode_plaintext, open, seal, RealmKey, ReplayFilter};

fuzz_target!(|data: &[u8]| {
    let key = RealmKey::from_passphrase("fuzz");
    let _ = open(&key, data);
    if let Ok(beacon) = decode_plaintext(data) {
        let mut filter = ReplayFilter::new();
        let _ = filter.check(&beacon, beacon.sent_ms);
        if let Ok(datagram) = seal(&key, &beacon) {
            assert_eq!(open(&key, &datagram).expect("opens"), beacon);
        }
    }
});
