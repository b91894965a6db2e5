//! Connects the processes of a timely cluster, then hands the sockets to timely.
//!
//! timely's own set-up (`timely::CommunicationConfig::Cluster`) sleeps a whole second after
//! each refused connection and between polls of its listener. Processes that start together,
//! as a `--local-cluster` does, therefore lost about a second before their first step; every
//! replay and every start of a cluster paid it. Here process I listens for the processes after
//! it and connects to the ones before it, as timely does, with timely's handshake (the
//! connecting process's index, a big-endian `u64`), but polls every few milliseconds.
//! There is still no deadline: processes may start in any order, minutes apart. A connection
//! that does not introduce itself as a later process (a port scanner, a stale peer) is
//! closed and logged, not taken for a peer.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// How often a process retries a refused connection and polls its listener.
const POLL: Duration = Duration::from_millis(5);
/// How long a connecting peer has to send its index.
const HANDSHAKE: Duration = Duration::from_secs(10);
/// How often a waiting process says what it waits for.
const REPORT_EVERY: Duration = Duration::from_secs(5);

/// The sockets to every other process, in process order, `None` at `me`.
///
/// # Errors
/// This process's address cannot be bound or is not in `addresses`; a socket option or a
/// handshake write fails.
pub(crate) fn connect(addresses: &[String], me: usize) -> std::io::Result<Vec<Option<TcpStream>>> {
    let Some(own) = addresses.get(me) else {
        return Err(std::io::Error::new(
            ErrorKind::InvalidInput,
            format!("process {me} is not in the {} addresses", addresses.len()),
        ));
    };
    // Bound before connecting out, so that later processes find it as early as possible.
    let listener = if me + 1 < addresses.len() {
        let l = TcpListener::bind(own.as_str()).map_err(|e| {
            std::io::Error::new(e.kind(), format!("binding cluster address {own}: {e}"))
        })?;
        l.set_nonblocking(true)?;
        Some(l)
    } else {
        None
    };
    let mut sockets: Vec<Option<TcpStream>> = Vec::with_capacity(addresses.len());
    for (index, address) in addresses.iter().enumerate().take(me) {
        sockets.push(Some(connect_to(index, address, me)?));
    }
    sockets.push(None);
    let mut later: Vec<Option<TcpStream>> = (me + 1..addresses.len()).map(|_| None).collect();
    if let Some(listener) = listener {
        accept_later(&listener, me, &mut later)?;
    }
    sockets.extend(later);
    tracing::debug!(target: "orderflow::cluster", process = me, "cluster connected");
    Ok(sockets)
}

/// Connects to process `index` at `address`, retrying until it listens.
fn connect_to(index: usize, address: &str, me: usize) -> std::io::Result<TcpStream> {
    let started = Instant::now();
    let mut reported = started;
    loop {
        match TcpStream::connect(address) {
            Ok(mut stream) => {
                stream.set_nodelay(true)?;
                stream.write_all(&(me as u64).to_be_bytes())?;
                return Ok(stream);
            }
            Err(e) => {
                if reported.elapsed() >= REPORT_EVERY {
                    reported = Instant::now();
                    tracing::info!(
                        target: "orderflow::cluster",
                        process = me,
                        peer = index,
                        address,
                        waited_s = started.elapsed().as_secs(),
                        error = %e,
                        "waiting for an earlier cluster process to listen"
                    );
                }
                std::thread::sleep(POLL);
            }
        }
    }
}

/// Accepts every later process (`me + 1 ..`), each identified by the index it sends.
fn accept_later(
    listener: &TcpListener,
    me: usize,
    later: &mut [Option<TcpStream>],
) -> std::io::Result<()> {
    let started = Instant::now();
    let mut reported = started;
    while later.iter().any(Option::is_none) {
        match listener.accept() {
            Ok((mut stream, from)) => {
                stream.set_nonblocking(false)?;
                stream.set_read_timeout(Some(HANDSHAKE))?;
                let mut index = [0u8; 8];
                let slot = match stream.read_exact(&mut index) {
                    Ok(()) => usize::try_from(u64::from_be_bytes(index))
                        .ok()
                        .and_then(|i| i.checked_sub(me + 1))
                        .filter(|k| later.get(*k).is_some_and(Option::is_none)),
                    Err(_) => None,
                };
                let Some(k) = slot else {
                    tracing::warn!(
                        target: "orderflow::cluster",
                        process = me,
                        %from,
                        "closed a connection that did not introduce itself as a later cluster process"
                    );
                    continue;
                };
                stream.set_read_timeout(None)?;
                stream.set_nodelay(true)?;
                later[k] = Some(stream);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if reported.elapsed() >= REPORT_EVERY {
                    reported = Instant::now();
                    tracing::info!(
                        target: "orderflow::cluster",
                        process = me,
                        connected = later.iter().filter(|s| s.is_some()).count(),
                        expected = later.len(),
                        waited_s = started.elapsed().as_secs(),
                        "waiting for later cluster processes to connect"
                    );
                }
                std::thread::sleep(POLL);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn free_addresses(n: usize) -> Vec<String> {
        let ls: Vec<TcpListener> = (0..n)
            .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
            .collect();
        ls.iter()
            .map(|l| l.local_addr().unwrap().to_string())
            .collect()
    }

    /// Three processes started in reverse order connect, each socket to the right peer.
    #[test]
    fn processes_connect_in_any_order() {
        let addresses = free_addresses(3);
        let handles: Vec<_> = (0..3)
            .rev()
            .map(|me| {
                let a = addresses.clone();
                std::thread::spawn(move || (me, connect(&a, me).unwrap()))
            })
            .collect();
        let mut all: Vec<(usize, Vec<Option<TcpStream>>)> =
            handles.into_iter().map(|h| h.join().unwrap()).collect();
        all.sort_by_key(|(me, _)| *me);
        // Each pair is one connection: what p writes to q arrives at q's socket to p.
        for (p, socks) in &all {
            assert!(socks[*p].is_none());
            for (q, s) in socks.iter().enumerate() {
                if let Some(mut s) = s.as_ref().map(|s| s.try_clone().unwrap()) {
                    s.write_all(&[*p as u8, q as u8]).unwrap();
                }
            }
        }
        for (q, socks) in &all {
            for (p, s) in socks.iter().enumerate() {
                if let Some(mut s) = s.as_ref().map(|s| s.try_clone().unwrap()) {
                    let mut got = [0u8; 2];
                    s.read_exact(&mut got).unwrap();
                    assert_eq!(got, [p as u8, *q as u8]);
                }
            }
        }
    }

    /// A stranger on the port is closed; the real peer still connects.
    #[test]
    fn a_connection_without_a_valid_index_is_not_taken_for_a_peer() {
        let addresses = free_addresses(2);
        let a = addresses.clone();
        let p0 = std::thread::spawn(move || connect(&a, 0).unwrap());
        // Wait for process 0 to listen, then introduce a wrong index (process 7 of 2).
        let mut stranger = loop {
            if let Ok(s) = TcpStream::connect(addresses[0].as_str()) {
                break s;
            }
            std::thread::sleep(POLL);
        };
        stranger.write_all(&7u64.to_be_bytes()).unwrap();
        let mut p1 = connect(&addresses, 1).unwrap();
        let mut p0 = p0.join().unwrap();
        p1[0].as_mut().unwrap().write_all(b"x").unwrap();
        let mut got = [0u8; 1];
        p0[1].as_mut().unwrap().read_exact(&mut got).unwrap();
        assert_eq!(&got, b"x");
        // The stranger's connection was closed.
        let mut rest = Vec::new();
        stranger
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        assert_eq!(stranger.read_to_end(&mut rest).unwrap_or(0), 0);
    }
}
