//! A private certificate authority for TLS tests: a CA certificate (PEM) to trust through
//! `http.caFile` or the system store, and server certificates it signs for the mock.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose, SanType};

/// A throwaway CA, generated per test run.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    /// The CA certificate, PEM: what a client must trust.
    pub certificate_pem: String,
}

/// A server certificate signed by a [`TestCa`].
pub struct ServerCertificate {
    /// The server's certificate followed by the CA's, PEM.
    pub chain_pem: String,
    pub key_pem: String,
}

impl TestCa {
    pub fn new(name: &str) -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        params.distinguished_name.push(DnType::CommonName, name);
        params.distinguished_name.push(DnType::OrganizationName, "glm-lsp tests");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        let key = KeyPair::generate().expect("a CA key");
        let certificate = params.self_signed(&key).expect("a self-signed CA");
        TestCa { certificate_pem: certificate.pem(), issuer: Issuer::new(params, key) }
    }

    /// A certificate for 127.0.0.1 and localhost.
    pub fn server_certificate(&self) -> ServerCertificate {
        self.certificate_with(|_| {})
    }

    /// A certificate for 127.0.0.1 and localhost that expired in 2020.
    pub fn expired_server_certificate(&self) -> ServerCertificate {
        self.certificate_with(|params| {
            params.not_before = rcgen::date_time_ymd(2019, 1, 1);
            params.not_after = rcgen::date_time_ymd(2020, 1, 1);
        })
    }

    fn certificate_with(&self, adjust: impl FnOnce(&mut CertificateParams)) -> ServerCertificate {
        let mut params = CertificateParams::new(vec!["localhost".to_string()]).expect("server parameters");
        params.subject_alt_names.push(SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()));
        params.distinguished_name.push(DnType::CommonName, "mock-glm");
        adjust(&mut params);
        let key = KeyPair::generate().expect("a server key");
        let certificate = params.signed_by(&key, &self.issuer).expect("a signed server certificate");
        ServerCertificate {
            chain_pem: format!("{}{}", certificate.pem(), self.certificate_pem),
            key_pem: key.serialize_pem(),
        }
    }

    /// Writes the CA certificate to a file and returns its path (for `http.caFile`).
    pub fn write_certificate(&self, path: &std::path::Path) -> std::path::PathBuf {
        std::fs::write(path, &self.certificate_pem).expect("write the CA certificate");
        path.to_path_buf()
    }
}
