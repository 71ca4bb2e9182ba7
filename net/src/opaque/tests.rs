use opaque_ke::{ServerLogin, ServerLoginParameters, ServerRegistration, ServerSetup};

use super::*;

const PASSWORD: &str = "correct horse battery";

/// The coordinator's side, as plainly as the library has it.
fn register(setup: &ServerSetup<Suite>, user: &[u8], password: &str) -> Vec<u8> {
    let (state, request) = Registering::start(password).unwrap();
    let response =
        ServerRegistration::<Suite>::start(setup, registration_request(&request).unwrap(), user)
            .unwrap();
    let response = OpaqueBytes::new(response.message.serialize().to_vec()).unwrap();
    let upload = state.finish(password, &response).unwrap();
    let record = ServerRegistration::finish(registration_upload(&upload).unwrap());
    record.serialize().to_vec()
}

fn login(
    setup: &ServerSetup<Suite>,
    record: Option<&[u8]>,
    user: &[u8],
    password: &str,
) -> Result<bool, OpaqueError> {
    let (state, request) = LoggingIn::start(password)?;
    let record = record.map(|r| stored_record(r).unwrap());
    let started = ServerLogin::start(
        &mut OsRng,
        setup,
        record,
        credential_request(&request).unwrap(),
        user,
        ServerLoginParameters::default(),
    )
    .unwrap();
    let response = OpaqueBytes::new(started.message.serialize().to_vec()).unwrap();
    let finalization = state.finish(password, &response)?;
    let finished = started.state.finish(
        credential_finalization(&finalization).unwrap(),
        ServerLoginParameters::default(),
    );
    Ok(finished.is_ok())
}

#[test]
fn register_then_log_in_and_a_wrong_password_never_finishes() {
    let setup = ServerSetup::<Suite>::new(&mut OsRng);
    let record = register(&setup, b"alice", PASSWORD);
    assert_eq!(login(&setup, Some(&record), b"alice", PASSWORD), Ok(true));
    assert_eq!(
        login(&setup, Some(&record), b"alice", "wrong horse battery"),
        Err(OpaqueError::WrongPassword)
    );
    // No record (an unknown user: the library's fake one), and a coordinator with another
    // setup (a rogue one that copied nothing): the envelope does not open.
    assert_eq!(
        login(&setup, None, b"nobody", PASSWORD),
        Err(OpaqueError::WrongPassword)
    );
    let rogue = ServerSetup::<Suite>::new(&mut OsRng);
    assert_eq!(
        login(&rogue, None, b"alice", PASSWORD),
        Err(OpaqueError::WrongPassword)
    );
}

#[test]
fn every_message_fits_and_none_carries_the_password() {
    let (_, request) = Registering::start(PASSWORD).unwrap();
    let (_, credential) = LoggingIn::start(PASSWORD).unwrap();
    let lens = [
        RegistrationRequestLen::<Suite>::USIZE,
        RegistrationResponseLen::<Suite>::USIZE,
        RegistrationUploadLen::<Suite>::USIZE,
        CredentialRequestLen::<Suite>::USIZE,
        CredentialResponseLen::<Suite>::USIZE,
        CredentialFinalizationLen::<Suite>::USIZE,
    ];
    assert!(lens.iter().all(|&n| n <= MAX_OPAQUE_BYTES), "{lens:?}");
    for bytes in [request.as_bytes(), credential.as_bytes()] {
        assert!(!bytes
            .windows(PASSWORD.len())
            .any(|w| w == PASSWORD.as_bytes()));
    }
}

#[test]
fn malformed_and_oversized_messages_are_errors() {
    let short = OpaqueBytes::new(vec![1; 3]).unwrap();
    assert!(matches!(
        credential_request(&short),
        Err(OpaqueError::Malformed {
            what: "credential request",
            len: 3,
            ..
        })
    ));
    // The right length, but not a group element.
    let junk = OpaqueBytes::new(vec![0xff; RegistrationRequestLen::<Suite>::USIZE]).unwrap();
    assert!(matches!(
        registration_request(&junk),
        Err(OpaqueError::Malformed { .. })
    ));
    assert_eq!(
        OpaqueBytes::new(vec![0; MAX_OPAQUE_BYTES + 1]),
        Err(OpaqueError::TooLong {
            len: MAX_OPAQUE_BYTES + 1
        })
    );
    let encoded = postcard::to_stdvec(&vec![0u8; MAX_OPAQUE_BYTES + 1]).unwrap();
    assert!(postcard::from_bytes::<OpaqueBytes>(&encoded).is_err());
}
