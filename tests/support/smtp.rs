//! A small SMTP server for the tests, over loopback: EHLO, STARTTLS (or TLS from the start),
//! AUTH PLAIN / LOGIN (accepted), MAIL, RCPT, DATA with dot-unstuffing, RSET, QUIT. Its certificate
//! is made at start with rcgen for `localhost` and 127.0.0.1; `ca_pem` is what a client trusts.
//! Every accepted message is kept in `messages`.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// How the server speaks TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// Plain first, `STARTTLS` offered (smtp://).
    StartTls,
    /// TLS from the first byte (smtps://).
    Implicit,
}

/// One message as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
    /// The session was encrypted when DATA arrived.
    pub over_tls: bool,
    /// The decoded AUTH PLAIN credentials (`user\0password`), if any.
    pub auth: Option<String>,
}

pub struct SmtpSink {
    pub port: u16,
    pub ca_pem: String,
    pub messages: Arc<Mutex<Vec<Received>>>,
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

impl SmtpSink {
    /// Listen on 127.0.0.1 (any free port) until the runtime stops.
    pub async fn start(tls: Tls) -> SmtpSink {
        let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
        let key = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
            .expect("test certificate");
        let cert = CertificateDer::from(key.cert.der().to_vec());
        let private =
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.signing_key.serialize_der()));
        let config = ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![cert], private)
            .expect("server TLS config");
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let kept = messages.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (acceptor, kept) = (acceptor.clone(), kept.clone());
                tokio::spawn(async move {
                    let stream: Box<dyn Stream> = match tls {
                        Tls::StartTls => Box::new(socket),
                        Tls::Implicit => match acceptor.accept(socket).await {
                            Ok(s) => Box::new(s),
                            Err(_) => return,
                        },
                    };
                    let _ = session(stream, tls == Tls::Implicit, acceptor, kept).await;
                });
            }
        });
        SmtpSink {
            port,
            ca_pem: key.cert.pem(),
            messages,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.messages.lock().expect("lock").clone()
    }
}

fn decode_plain(b64: &str) -> Option<String> {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = Vec::new();
    for c in b64.trim().bytes().filter(|&c| c != b'=') {
        let v = T.iter().position(|&t| t == c)? as u8;
        bits.extend((0..6).rev().map(|i| (v >> i) & 1));
    }
    let bytes: Vec<u8> = bits
        .chunks_exact(8)
        .map(|b| b.iter().fold(0, |a, &x| (a << 1) | x))
        .collect();
    String::from_utf8(bytes).ok()
}

async fn session(
    stream: Box<dyn Stream>,
    mut over_tls: bool,
    acceptor: TlsAcceptor,
    kept: Arc<Mutex<Vec<Received>>>,
) -> std::io::Result<()> {
    let mut io = BufReader::new(stream);
    io.write_all(b"220 localhost ESMTP test sink\r\n").await?;
    let (mut from, mut to, mut auth) = (String::new(), Vec::new(), None);
    let mut line = String::new();
    loop {
        line.clear();
        if io.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let upper = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            if over_tls {
                b"250-localhost\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"
            } else {
                b"250-localhost\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
            }
        } else if upper == "STARTTLS" && !over_tls {
            io.write_all(b"220 ready\r\n").await?;
            let plain = io.into_inner();
            let tls: Box<dyn Stream> = Box::new(acceptor.accept(plain).await?);
            io = BufReader::new(tls);
            over_tls = true;
            continue;
        } else if upper.starts_with("AUTH PLAIN") {
            auth = line.trim_end().split(' ').nth(2).and_then(decode_plain);
            b"235 2.7.0 accepted\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = line.trim_end()[10..].trim().to_string();
            b"250 ok\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(line.trim_end()[8..].trim().to_string());
            b"250 ok\r\n"
        } else if upper == "DATA" {
            io.write_all(b"354 go on\r\n").await?;
            let data = read_data(&mut io).await?;
            kept.lock().expect("lock").push(Received {
                from: std::mem::take(&mut from),
                to: std::mem::take(&mut to),
                data,
                over_tls,
                auth: auth.clone(),
            });
            b"250 2.0.0 queued as test-1\r\n"
        } else if upper == "QUIT" {
            io.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else if upper == "RSET" || upper == "NOOP" {
            b"250 ok\r\n"
        } else {
            b"502 not implemented\r\n"
        };
        io.write_all(reply).await?;
    }
}

/// The message up to the lone `.`, with leading dots unstuffed.
async fn read_data(io: &mut BufReader<Box<dyn Stream>>) -> std::io::Result<Vec<u8>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if io.read_until(b'\n', &mut line).await? == 0 {
            return Ok(data);
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(data);
        }
        let body = if line.starts_with(b"..") {
            &line[1..]
        } else {
            &line[..]
        };
        data.extend_from_slice(body);
    }
}
