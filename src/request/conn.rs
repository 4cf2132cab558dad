//! The TCP socket under a request, so a stream whose client stopped reading can be cut off.
//!
//! actix polls a response body only while its write buffer has room: once a client stops
//! reading, nothing the server does through the body reaches the connection, which would stay
//! open (with everything queued for it) for as long as the client likes. So each connection
//! records its socket when it is accepted ([`on_connect`]), and a stalled HTTP/1.1 stream shuts
//! that socket down ([`ConnSocket::shutdown`]): the connection's next poll fails and actix drops
//! it with all its buffers. (An HTTP/2 connection may carry other requests too, and is left
//! alone; see `stream::routes`.)
//!
//! Only the file descriptor number is kept, never a duplicate (which would cost a descriptor
//! per stream). A number can be reused once its connection is gone, so `shutdown` acts only
//! while the caller knows the connection is alive (the stream's body, owned by the connection,
//! still exists) and the descriptor still names the same pair of addresses.

use std::{any::Any, net::SocketAddr, os::fd::RawFd};

use actix_web::{dev::Extensions, rt::net::TcpStream};

/// The socket of one accepted connection (a request's `conn_data`).
#[derive(Clone, Copy, Debug)]
pub struct ConnSocket {
    fd: RawFd,
    local: SocketAddr,
    peer: SocketAddr,
}

type TlsConn = actix_tls::accept::rustls_0_23::TlsStream<TcpStream>;

/// `HttpServer::on_connect` hook: records the socket of a plain or TLS connection.
pub fn on_connect(conn: &dyn Any, ext: &mut Extensions) {
    let tcp = if let Some(tls) = conn.downcast_ref::<TlsConn>() {
        tls.get_ref().0
    } else if let Some(tcp) = conn.downcast_ref::<TcpStream>() {
        tcp
    } else {
        return;
    };
    if let Some(socket) = ConnSocket::of(tcp) {
        ext.insert(socket);
    }
}

impl ConnSocket {
    fn of(tcp: &TcpStream) -> Option<Self> {
        use std::os::fd::AsRawFd;
        Some(ConnSocket {
            fd: tcp.as_raw_fd(),
            local: tcp.local_addr().ok()?,
            peer: tcp.peer_addr().ok()?,
        })
    }

    /// Shuts the connection down in both directions. Call only while the connection is known
    /// to be alive (see the module docs); the address check guards against anything missed.
    pub fn shutdown(&self) {
        if !self.is_still_ours() {
            return;
        }
        // SAFETY: `shutdown(2)` on a descriptor number has no memory effects; the checks above
        // make sure the number still names this connection's socket.
        unsafe {
            libc::shutdown(self.fd, libc::SHUT_RDWR);
        }
    }

    fn is_still_ours(&self) -> bool {
        // SAFETY: the descriptor is only borrowed for two getsockname/getpeername calls; if it
        // was closed meanwhile they fail, and nothing is closed or taken over here.
        let sock = unsafe { std::os::fd::BorrowedFd::borrow_raw(self.fd) };
        let sock = socket2::SockRef::from(&sock);
        let same = |a: std::io::Result<socket2::SockAddr>, b: &SocketAddr| {
            a.ok().and_then(|a| a.as_socket()).as_ref() == Some(b)
        };
        same(sock.local_addr(), &self.local) && same(sock.peer_addr(), &self.peer)
    }
}
