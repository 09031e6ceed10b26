//! The load generators' HTTP client against real sockets: framing, kept connections, failures.

use super::*;
use tokio::net::TcpListener;

/// A server that answers each request on a connection with the next of `answers` (raw
/// bytes), written in pieces of `piece` bytes so that framing across reads is exercised;
/// returns its base URL and, when it ends, the requests it read.
async fn serve(answers: Vec<&'static [u8]>, piece: usize) -> (String, tokio::task::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let handle = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut requests = Vec::new();
        for answer in answers {
            let mut read = Vec::new();
            let mut buf = [0u8; 4096];
            // Read one request: its head, then the body its Content-Length announces.
            loop {
                let n = socket.read(&mut buf).await.unwrap();
                read.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&read).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text
                        .lines()
                        .find_map(|l| l.strip_prefix("Content-Length: "))
                        .map_or(0, |v| v.trim().parse::<usize>().unwrap());
                    if read.len() >= end + 4 + length {
                        break;
                    }
                }
            }
            requests.push(String::from_utf8(read).unwrap());
            for chunk in answer.chunks(piece) {
                socket.write_all(chunk).await.unwrap();
                socket.flush().await.unwrap();
                tokio::task::yield_now().await;
            }
        }
        requests
    });
    (base, handle)
}

#[tokio::test]
async fn answers_framed_by_length_and_by_chunks_on_one_kept_connection() {
    let (base, server) = serve(
        vec![
            b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello",
            b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n",
            b"HTTP/1.1 304 Not Modified\r\netag: \"x\"\r\n\r\n",
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi",
        ],
        3,
    )
    .await;
    let client = Client::new(&base, Some(Duration::from_secs(5))).unwrap();
    let get = client.request("GET", &format!("{base}/v1/x?a=1"), None, None);
    let answer = client.send(&get).await.unwrap();
    assert_eq!((answer.status, answer.body.as_slice()), (200, &b"hello"[..]));
    let post =
        client.request_with("POST", "/v1/views", Some("k3y"), &[("If-Match", "\"3\"")], Some(br#"{"user":"7"}"#));
    let answer = client.send(&post).await.unwrap();
    assert_eq!((answer.status, answer.body.as_slice()), (201, &b"abcdefg"[..]));
    let answer = client.send(&get).await.unwrap();
    assert_eq!((answer.status, answer.body.len()), (304, 0));
    let answer = client.send(&get).await.unwrap();
    assert_eq!((answer.status, answer.body.len()), (404, 0));
    let answer = client.send(&get).await.unwrap();
    assert_eq!((answer.status, answer.body.as_slice()), (200, &b"hi"[..]), "an interim 100 is passed over");

    let requests = server.await.unwrap();
    assert_eq!(requests.len(), 5, "every request went over the one kept connection");
    let authority = base.trim_start_matches("http://");
    assert_eq!(requests[0], format!("GET /v1/x?a=1 HTTP/1.1\r\nHost: {authority}\r\n\r\n"));
    assert_eq!(
        requests[1],
        format!(
            "POST /v1/views HTTP/1.1\r\nHost: {authority}\r\nAuthorization: Bearer k3y\r\nIf-Match: \"3\"\r\n\
             Content-Type: application/json\r\nContent-Length: 12\r\n\r\n{{\"user\":\"7\"}}"
        )
    );
}

#[tokio::test]
async fn a_body_until_close_and_a_truncated_answer() {
    let (base, server) = serve(vec![b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nuntil the end"], 4).await;
    let client = Client::new(&base, None).unwrap();
    let answer = client.send(&client.request("GET", "/", None, None)).await.unwrap();
    assert_eq!((answer.status, answer.body.as_slice()), (200, &b"until the end"[..]));
    server.await.unwrap();
    assert!(client.idle.lock().unwrap().is_empty(), "a closed connection is not kept");

    let (base, server) = serve(vec![b"HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\nshort"], 64).await;
    let client = Client::new(&base, None).unwrap();
    let error = client.send(&client.request("GET", "/", None, None)).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::UnexpectedEof);
    server.await.unwrap();
}

/// A kept connection the server has closed meanwhile (its idle timeout) is found closed
/// before any answer, and the request goes again on a new connection; the server sees it
/// once on each.
#[tokio::test]
async fn a_request_on_a_kept_connection_the_server_closed_goes_again_on_a_new_one() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let mut answered = 0;
        for _ in 0..2 {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4096];
            let n = socket.read(&mut buf).await.unwrap();
            assert!(String::from_utf8_lossy(&buf[..n]).starts_with("GET /again HTTP/1.1\r\n"));
            socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await.unwrap();
            answered += 1;
            // Then the connection is dropped: closed while the client keeps it.
        }
        answered
    });
    let client = Client::new(&base, Some(Duration::from_secs(5))).unwrap();
    let request = client.request("GET", "/again", None, None);
    assert_eq!(client.send(&request).await.unwrap().body, b"ok");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(client.send(&request).await.unwrap().body, b"ok", "answered on a new connection");
    assert_eq!(server.await.unwrap(), 2);
}

/// A POST is not sent again: the server might have done it before closing.
#[tokio::test]
async fn a_post_on_a_kept_connection_the_server_closed_is_an_error() {
    let (base, server) = serve(vec![b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"], 64).await;
    let client = Client::new(&base, Some(Duration::from_secs(5))).unwrap();
    let post = client.request("POST", "/v1/views", None, Some(b"{}"));
    assert_eq!(client.send(&post).await.unwrap().body, b"ok");
    server.await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(client.send(&post).await.is_err(), "not retried");
}

#[tokio::test]
async fn no_answer_in_time_fails_and_bad_urls_are_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let client = Client::new(&base, Some(Duration::from_millis(200))).unwrap();
    let error = client.send(&client.request("GET", "/", None, None)).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TimedOut);
    assert_eq!(Client::new("https://example.com", None).unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(path_of("http://h:1"), "/");
    assert_eq!(path_of("http://h:1/a?b=c"), "/a?b=c");
}
