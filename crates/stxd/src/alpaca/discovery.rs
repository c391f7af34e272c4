//! Alpaca discovery on UDP (port 32227 by default): a datagram that starts with
//! `alpacadiscovery1` is answered, by unicast to its sender, with `{"AlpacaPort":N}`.
//! The socket shares its port (SO_REUSEADDR and SO_REUSEPORT, as Alpaca v12 requires)
//! with any other Alpaca server on the machine. stxd never broadcasts.
//!
//! The socket listens on every address (a broadcast reaches only such a socket), but
//! when the Alpaca face listens on loopback only, only loopback senders are answered:
//! a client elsewhere could not reach the port it would be told.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};

use tokio::sync::watch;

/// The start of a discovery request.
const REQUEST: &[u8] = b"alpacadiscovery1";

/// The discovery responder of one Alpaca face.
#[derive(Debug)]
pub(crate) struct Discovery {
    socket: UdpSocket,
    /// The Alpaca face's address, told to clients.
    alpaca: SocketAddr,
}

impl Discovery {
    /// Binds `port` on every IPv4 address, sharing it, for the face at `alpaca`.
    pub(crate) fn bind(port: u16, alpaca: SocketAddr) -> std::io::Result<Discovery> {
        use rustix::net::{AddressFamily, SocketType, sockopt};
        let fd = rustix::net::socket(AddressFamily::INET, SocketType::DGRAM, None)?;
        sockopt::set_socket_reuseaddr(&fd, true)?;
        sockopt::set_socket_reuseport(&fd, true)?;
        rustix::net::bind(&fd, &SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port))?;
        let socket = UdpSocket::from(fd);
        socket.set_nonblocking(true)?;
        Ok(Discovery { socket, alpaca })
    }

    /// Where the responder listens (the bound port when 0 was asked for).
    pub(crate) fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Answers discovery requests until `shutdown` turns true.
    pub(crate) async fn serve(self, mut shutdown: watch::Receiver<bool>) {
        let socket = match tokio::net::UdpSocket::from_std(self.socket) {
            Ok(socket) => socket,
            Err(e) => {
                tracing::error!("Alpaca discovery cannot run: {e}");
                return;
            }
        };
        let reply = format!("{{\"AlpacaPort\":{}}}", self.alpaca.port());
        // Longer datagrams are cut here; only their start is read.
        let mut buf = [0; 64];
        loop {
            tokio::select! {
                received = socket.recv_from(&mut buf) => match received {
                    Ok((n, peer)) if buf[..n].starts_with(REQUEST) && answers(self.alpaca.ip(), peer.ip()) => {
                        if let Err(e) = socket.send_to(reply.as_bytes(), peer).await {
                            tracing::debug!("Alpaca discovery reply to {peer} not sent: {e}");
                        }
                    }
                    Ok(_) => {}
                    Err(e) => tracing::debug!("Alpaca discovery: {e}"),
                },
                _ = shutdown.changed() => break,
            }
        }
    }
}

/// Whether a request from `sender` is answered for a face listening on `listening`.
fn answers(listening: IpAddr, sender: IpAddr) -> bool {
    !listening.is_loopback() || sender.is_loopback()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loopback_face_answers_only_loopback_senders() {
        let (lo, lan, any) = ([127, 0, 0, 1].into(), [192, 168, 1, 5].into(), Ipv4Addr::UNSPECIFIED.into());
        assert!(answers(lo, lo));
        assert!(!answers(lo, lan));
        assert!(answers(any, lan));
        assert!(answers(lan, lan));
    }
}
