//! A lean HTTP/1.1 client for the load generators. Why: the load generator shares the two cores
//! with the server and the database it measures, so what it spends per request is taken from
//! them. `reqwest` spent ~25 µs of CPU per request here (its pool, URL parsing, header maps, a
//! task per connection and a channel to it); this client writes each request as one buffer on a
//! keep-alive connection it owns while the request runs, and frames the answer with `httparse`
//! (Content-Length or chunked). It speaks only what the benchmarks need: plain `http://`, no
//! HEAD, no redirects, no compression, no pipelining.

use std::io::{Error, ErrorKind};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The most headers an answer may carry.
const MAX_HEADERS: usize = 32;

/// A kept connection idle longer than this is closed instead of used: actix closes its side
/// after 5 s, and a request written as it does would find it closed.
const MAX_IDLE: Duration = Duration::from_secs(4);

/// An answer: its status and whole body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Keep-alive connections to one server, each used by one request at a time.
#[derive(Debug)]
pub struct Client {
    /// `host:port`, as the Host header says it.
    authority: String,
    idle: Mutex<Vec<Connection>>,
    timeout: Option<Duration>,
}

#[derive(Debug)]
struct Connection {
    stream: TcpStream,
    /// Bytes read and not yet consumed.
    buffer: Vec<u8>,
    /// When its last answer ended.
    idle_since: Instant,
}

impl Client {
    /// A client of the server at `base` (`http://host:port`, a path after it ignored); with a
    /// `timeout`, a request that has not been answered by then fails.
    pub fn new(base: &str, timeout: Option<Duration>) -> Result<Self, Error> {
        let rest = base
            .strip_prefix("http://")
            .ok_or_else(|| Error::new(ErrorKind::InvalidInput, format!("not an http:// URL: {base}")))?;
        let authority = rest.split('/').next().unwrap_or_default().to_owned();
        Ok(Self { authority, idle: Mutex::new(Vec::new()), timeout })
    }

    /// The bytes of a request for `target` (a path with its query, or a whole URL of this
    /// server), with a bearer `key` and a JSON `body` when given.
    pub fn request(&self, method: &str, target: &str, key: Option<&str>, body: Option<&[u8]>) -> Vec<u8> {
        self.request_with(method, target, key, &[], body)
    }

    /// [`Client::request`] with more headers, `(name, value)`.
    pub fn request_with(
        &self,
        method: &str,
        target: &str,
        key: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Vec<u8> {
        let path = path_of(target);
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.authority);
        if let Some(key) = key {
            head.push_str("Authorization: Bearer ");
            head.push_str(key);
            head.push_str("\r\n");
        }
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(body) = body {
            head.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body.unwrap_or_default());
        bytes
    }

    /// Sends `request` (from [`Client::request`]) on an idle connection, or a new one, and reads
    /// the whole answer. The connection goes back to the idle ones unless the server said it
    /// closes it or anything failed.
    pub async fn send(&self, request: &[u8]) -> Result<Answer, Error> {
        match self.timeout {
            Some(limit) => tokio::time::timeout(limit, self.send_now(request))
                .await
                .unwrap_or_else(|_| Err(Error::new(ErrorKind::TimedOut, "no answer in time"))),
            None => self.send_now(request).await,
        }
    }

    async fn send_now(&self, request: &[u8]) -> Result<Answer, Error> {
        let idle = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop();
        if let Some(connection) = idle.filter(|c| c.idle_since.elapsed() < MAX_IDLE) {
            match self.exchange(connection, request).await {
                // A kept connection can still be found closed before any answer (the server's
                // idle timeout racing the write). A GET goes again on a new connection; anything
                // else might have been read and done before the close, so it is an error.
                Err(Exchange::ClosedBeforeAnswer(_)) if request.starts_with(b"GET ") => {}
                other => return other.map_err(Exchange::into_error),
            }
        }
        let stream = TcpStream::connect(&self.authority).await?;
        stream.set_nodelay(true)?;
        let fresh = Connection { stream, buffer: Vec::with_capacity(16 * 1024), idle_since: Instant::now() };
        self.exchange(fresh, request).await.map_err(Exchange::into_error)
    }

    /// Writes `request` on `connection` and reads its answer; keeps the connection for the next
    /// request when it may be.
    async fn exchange(&self, mut connection: Connection, request: &[u8]) -> Result<Answer, Exchange> {
        if let Err(error) = connection.stream.write_all(request).await {
            return Err(Exchange::ClosedBeforeAnswer(error));
        }
        if connection.fill(true).await.map_err(Exchange::ClosedBeforeAnswer)? == 0 {
            return Err(Exchange::ClosedBeforeAnswer(Error::new(
                ErrorKind::UnexpectedEof,
                "the server closed the connection before answering",
            )));
        }
        let (answer, keep) = connection.read_answer().await.map_err(Exchange::Failed)?;
        // Bytes after the answer would be taken for the next one's: such a connection is closed.
        if keep && connection.buffer.is_empty() {
            connection.idle_since = Instant::now();
            self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(connection);
        }
        Ok(answer)
    }
}

/// How an exchange failed: before the first byte of an answer (the connection was found
/// closed), or later.
enum Exchange {
    ClosedBeforeAnswer(Error),
    Failed(Error),
}

impl Exchange {
    fn into_error(self) -> Error {
        match self {
            Self::ClosedBeforeAnswer(error) | Self::Failed(error) => error,
        }
    }
}

/// The path and query of `target`, which may be a whole `http://` URL.
fn path_of(target: &str) -> &str {
    match target.strip_prefix("http://") {
        Some(rest) => rest.find('/').map_or("/", |slash| &rest[slash..]),
        None => target,
    }
}

fn invalid(what: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidData, what.into())
}

/// How an answer's body is delimited.
enum Framing {
    Length(usize),
    Chunked,
    UntilClose,
}

impl Connection {
    /// Reads more bytes into the buffer; an end of stream is an error unless `eof_ok`.
    async fn fill(&mut self, eof_ok: bool) -> Result<usize, Error> {
        self.buffer.reserve(16 * 1024);
        let read = self.stream.read_buf(&mut self.buffer).await?;
        if read == 0 && !eof_ok {
            return Err(Error::new(ErrorKind::UnexpectedEof, "the server closed the connection mid-answer"));
        }
        Ok(read)
    }

    /// Reads one answer (after any interim 1xx ones); also says whether the connection may be
    /// used again.
    async fn read_answer(&mut self) -> Result<(Answer, bool), Error> {
        loop {
            let (answer, keep) = self.read_one_answer().await?;
            if !(100..200).contains(&answer.status) || answer.status == 101 {
                return Ok((answer, keep));
            }
        }
    }

    async fn read_one_answer(&mut self) -> Result<(Answer, bool), Error> {
        let (status, head_len, framing, close) = loop {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut response = httparse::Response::new(&mut headers);
            match response.parse(&self.buffer).map_err(|e| invalid(format!("answer head: {e}")))? {
                httparse::Status::Complete(head_len) => {
                    let status = response.code.unwrap_or_default();
                    let (framing, close) = framing_of(status, response.headers)?;
                    break (status, head_len, framing, close);
                }
                httparse::Status::Partial => {
                    self.fill(false).await?;
                }
            }
        };
        self.buffer.drain(..head_len);
        let body = match framing {
            Framing::Length(length) => {
                while self.buffer.len() < length {
                    self.fill(false).await?;
                }
                self.buffer.drain(..length).collect()
            }
            Framing::Chunked => self.read_chunked().await?,
            Framing::UntilClose => {
                while self.fill(true).await? > 0 {}
                std::mem::take(&mut self.buffer)
            }
        };
        let keep = !close && !matches!(framing, Framing::UntilClose);
        Ok((Answer { status, body }, keep))
    }

    async fn read_chunked(&mut self) -> Result<Vec<u8>, Error> {
        let mut body = Vec::new();
        loop {
            let (size_len, size) = loop {
                match httparse::parse_chunk_size(&self.buffer).map_err(|_| invalid("a chunk's size"))? {
                    httparse::Status::Complete((size_len, size)) => break (size_len, size),
                    httparse::Status::Partial => {
                        self.fill(false).await?;
                    }
                }
            };
            let size = usize::try_from(size).map_err(|_| invalid("a chunk larger than memory"))?;
            // The chunk, then its CRLF (the last, empty chunk: no trailers expected, one CRLF).
            let end =
                size_len.checked_add(size).and_then(|n| n.checked_add(2)).ok_or_else(|| invalid("a chunk's size"))?;
            while self.buffer.len() < end {
                self.fill(false).await?;
            }
            body.extend_from_slice(&self.buffer[size_len..size_len + size]);
            if &self.buffer[size_len + size..size_len + size + 2] != b"\r\n" {
                return Err(invalid("a chunk not followed by CRLF"));
            }
            self.buffer.drain(..size_len + size + 2);
            if size == 0 {
                return Ok(body);
            }
        }
    }
}

fn framing_of(status: u16, headers: &[httparse::Header<'_>]) -> Result<(Framing, bool), Error> {
    let mut framing = None;
    let mut close = false;
    for header in headers {
        if header.name.eq_ignore_ascii_case("content-length") {
            let text = std::str::from_utf8(header.value).map_err(|_| invalid("Content-Length"))?;
            framing = Some(Framing::Length(text.trim().parse().map_err(|_| invalid("Content-Length"))?));
        } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
            if !header.value.eq_ignore_ascii_case(b"chunked") {
                return Err(invalid("a transfer encoding other than chunked"));
            }
            framing = Some(Framing::Chunked);
        } else if header.name.eq_ignore_ascii_case("connection") {
            close = header.value.eq_ignore_ascii_case(b"close");
        }
    }
    // No body, whatever the headers say (RFC 9112, 6.3).
    if status == 204 || status == 304 || (100..200).contains(&status) {
        return Ok((Framing::Length(0), close));
    }
    Ok((framing.unwrap_or(Framing::UntilClose), close))
}

#[cfg(test)]
#[path = "http1_tests.rs"]
mod tests;
