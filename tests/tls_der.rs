//! The TLS rules' certificate reading on committed DER fixtures (testdata/pki, made by openssl
//! because rcgen with ring cannot sign with SHA-1 and the ring server cannot serve RSA-1024).

mod support;

use otadoctor::x509::{ocsp_scts, parse};

fn fixture(name: &str) -> Vec<u8> {
    let pem = std::fs::read(support::testdata(&format!("pki/{name}"))).expect("fixture");
    let der: rustls::pki_types::CertificateDer<'static> =
        rustls::pki_types::pem::PemObject::from_pem_slice(&pem).expect("a PEM certificate");
    der.to_vec()
}

#[test]
fn a_sha1_signature_is_seen_on_der() {
    let cert = parse(&fixture("sha1-leaf.pem")).expect("parses");
    assert_eq!(cert.signature, "sha1WithRSAEncryption");
    assert!(cert.weak_hash);
    assert_eq!(cert.key, "EC 256");
}

#[test]
fn a_1024_bit_rsa_key_is_seen_on_der() {
    let cert = parse(&fixture("rsa1024-leaf.pem")).expect("parses");
    assert_eq!((cert.key_kind, cert.key_bits), ("RSA", 1024));
    assert!(!cert.weak_hash);
    let sound = parse(&fixture("rsa2048-leaf.pem")).expect("parses");
    assert_eq!(sound.key_bits, 2048);
    assert_eq!(sound.san_dns, ["ota.acme-apps.test"]);
    assert_eq!(sound.server_auth, Some(true));
}

#[test]
fn scts_in_a_stapled_ocsp_response_are_read() {
    let list = support::lab::sct_list(&[([7u8; 32], 1_790_000_000_000)]);
    // …SingleResponse extension: OID 1.3.6.1.4.1.11129.2.4.5, extnValue OCTET STRING { OCTET STRING { list } }
    let mut inner = vec![0x04, list.len() as u8];
    inner.extend_from_slice(&list);
    let mut ext = vec![
        0x30,
        0x00,
        0x06,
        0x0a,
        0x2b,
        0x06,
        0x01,
        0x04,
        0x01,
        0xd6,
        0x79,
        0x02,
        0x04,
        0x05,
        0x04,
        inner.len() as u8,
    ];
    ext.extend_from_slice(&inner);
    let scts = ocsp_scts(&ext);
    assert_eq!(scts.len(), 1);
    assert_eq!(scts[0].0, vec![7u8; 32]);
    assert!(ocsp_scts(b"no extension here").is_empty());
    assert!(
        ocsp_scts(&ext[..ext.len() - 3]).is_empty(),
        "a truncated staple reads as none, never panics"
    );
}
