//! A bounded stress test — the Rust counterpart of Go's `go test -race -count=100`: many
//! clients at once, each pipelining a mix of requests, a hundred rounds each, against every
//! chapter's server; every answer must match its request, in order. It cannot prove the
//! absence of a race (loom does that for the primitives); it shakes the whole server hard
//! enough that a lost answer, a misdelivered one or a deadlock shows up as a failure.

use server_tests::CHAPTERS;
use std::thread;

const CLIENTS: usize = 8;
const ROUNDS: usize = 100;

#[test]
fn many_clients_pipelining_a_mix_get_every_answer_in_order() {
    for chapter in CHAPTERS {
        let server = (chapter.start)(http_loop::Config::default());
        thread::scope(|scope| {
            for client_number in 0..CLIENTS {
                let server = &server;
                scope.spawn(move || {
                    let mut client = server.client();
                    for round in 0..ROUNDS {
                        // A limit that differs per client and round, so a misdelivered answer
                        // would carry the wrong number.
                        let limit = 10 + client_number * 1000 + round;
                        client.send(format!(
                            "GET /primes?limit={limit} HTTP/1.1\r\nHost: t\r\n\r\n\
                             GET /health HTTP/1.1\r\nHost: t\r\n\r\n\
                             GET /nowhere HTTP/1.1\r\nHost: t\r\n\r\n"
                        ));
                        let primes = client.read_answer();
                        assert_eq!(primes.status, 200, "{}", chapter.name);
                        assert_eq!(primes.json()["limit"], limit, "{}", chapter.name);
                        assert_eq!(client.read_answer().status, 200, "{}", chapter.name);
                        assert_eq!(client.read_answer().status, 404, "{}", chapter.name);
                    }
                });
            }
        });
        server.stop();
    }
}
