//! Nothing a client sends can stall other clients or stop the server: idle and half-sent
//! requests, random bytes, truncated bodies, a thousand connections at once. Each test ends by
//! checking, through `for_each_chapter`, that a fresh client is still answered.

use http_loop::Config;
use server_tests::for_each_chapter;
use std::io::Write;
use std::net::TcpStream;

/// Many connections holding half a request each do not block a fresh client: the loop never
/// waits on one connection.
#[test]
fn half_sent_requests_do_not_block_a_fresh_client() {
    for_each_chapter(&Config::default(), |server| {
        let half_sent: Vec<_> = (0..300)
            .map(|_| {
                let mut client = server.client();
                client.send("GET /health HTTP/1.1\r\nHost: te");
                client
            })
            .collect();
        let answer = server.client().get("/health");
        assert_eq!(answer.status, 200);
        drop(half_sent);
    });
}

/// A client that announces a body, sends part of it and ends its stream is told what went
/// wrong — a 400 naming how much arrived — and costs only its own connection. So is one that
/// ends its stream inside a request's head.
#[test]
fn truncated_request_then_hang_up() {
    for_each_chapter(&Config::default(), |server| {
        let truncated = [
            (
                "POST /health HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\nonly part",
                "of the request's",
            ),
            (
                "GET /health HTTP/1.1\r\nHost: te",
                "inside a request's head",
            ),
        ];
        for (request, says) in truncated {
            let mut client = server.client();
            client.send(request);
            client.finish_sending();
            let answer = client.read_answer();
            assert_eq!(answer.status, 400);
            assert_eq!(answer.error_code(), "incomplete_request");
            let message = answer.json()["error"]["message"].to_string();
            assert!(message.contains(says), "{message}");
            assert!(
                client.is_closed_by_server(),
                "the server closes its side too"
            );
        }
    });
}

/// A client that sends its request and shuts down its sending side still gets its answer
/// (a half-close, as `printf … | nc` does).
#[test]
fn half_closed_client_still_gets_its_answer() {
    for_each_chapter(&Config::default(), |server| {
        let mut client = server.client();
        client.send("GET /health HTTP/1.1\r\nHost: test\r\n\r\n");
        client.finish_sending();
        assert_eq!(client.read_answer().status, 200);
        assert!(client.is_closed_by_server());
    });
}

/// A small, deterministic random-number generator (xorshift), so a failure can be replayed.
struct XorShift(u64);

impl XorShift {
    fn next_byte(&mut self) -> u8 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0.to_le_bytes()[0]
    }
}

/// Random bytes — some of them with a valid request line in front, so the parser gets past the
/// first line — never panic the server.
#[test]
fn random_bytes_do_not_hurt_the_server() {
    for_each_chapter(&Config::default(), |server| {
        let mut random = XorShift(0x5eed_1234_abcd_9876);
        for round in 0..64 {
            let mut bytes: Vec<u8> = if round % 2 == 0 {
                b"GET /health HTTP/1.1\r\n".to_vec()
            } else {
                Vec::new()
            };
            bytes.extend((0..2048).map(|_| random.next_byte()));
            if round % 3 == 0 {
                bytes.extend_from_slice(b"\r\n\r\n");
            }
            let mut stream = TcpStream::connect(server.addr()).expect("the server accepts");
            // The server may answer and close before reading everything: a failed write is
            // the server doing its job, not an error of this test.
            let _ = stream.write_all(&bytes);
        }
    });
}

/// A thousand connections open at once, each with a request in flight, are all answered.
#[test]
fn a_thousand_concurrent_connections() {
    for_each_chapter(&Config::default(), |server| {
        let mut clients: Vec<_> = (0..1000).map(|_| server.client()).collect();
        for client in &mut clients {
            client.send("GET /health HTTP/1.1\r\nHost: test\r\n\r\n");
        }
        for client in &mut clients {
            assert_eq!(client.read_answer().status, 200);
        }
    });
}

/// Requests sent back to back on one connection (pipelined) are answered in order, even when
/// the first takes longest: `/primes` runs on its own thread, `/health` inline.
#[test]
fn pipelined_answers_come_back_in_request_order() {
    for_each_chapter(&Config::default(), |server| {
        let mut client = server.client();
        client.send(
            "GET /primes?limit=3000000 HTTP/1.1\r\nHost: test\r\n\r\n\
             GET /health HTTP/1.1\r\nHost: test\r\n\r\n\
             GET /primes?limit=10 HTTP/1.1\r\nHost: test\r\n\r\n",
        );
        let first = client.read_answer().json();
        assert_eq!(first["primes"], 216_816);
        assert_eq!(client.read_answer().json()["status"], "ok");
        assert_eq!(client.read_answer().json()["primes"], 4);
    });
}
