//! Serves a plugin's venue emulator on loopback: WebSocket and REST on one port.
//!
//! Venue-specific faults (sequence gap, wrong checksum, malformed frame) are the plugin
//! emulator's; transport faults are injected here, the same for every venue, through
//! [`EmulatorServer::control`]: `{"op":"fault","kind":"stall"}` (stop sending on every open
//! connection; it stays open and silent until the client gives up), `"duplicate"` (the next
//! frame of every connection is sent twice), `"reorder"` (the next two frames of every
//! connection are swapped), `{"op":"fault","kind":"rest_error","status":429,"count":N}` (the next
//! N REST requests answer that status).

use crate::{PluginError, now_ns};
use abi_stable::std_types::RStr;
use axum::Router;
use axum::extract::State;
use axum::extract::ws::{
    Message, WebSocket, WebSocketUpgrade, rejection::WebSocketUpgradeRejection,
};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt;
use futures_util::{SinkExt, StreamExt};
use orderflow_tool_sdk::{EmuFrame, HttpRequest, VenueEmulatorBox};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// Transport faults armed for the next frames / requests.
#[derive(Debug, Default)]
struct Faults {
    /// Connections that stay open but get nothing more.
    stalled: std::collections::BTreeSet<u64>,
    /// Connections whose next frame is sent twice.
    duplicate: std::collections::BTreeSet<u64>,
    /// Connections whose next two frames are swapped (the first is held here).
    reorder: BTreeMap<u64, Option<EmuFrame>>,
    /// REST answers to fail: (status, remaining).
    rest_error: Option<(u16, u32)>,
}

struct EmuState {
    emu: Mutex<VenueEmulatorBox>,
    /// Per connection, a bounded queue of frames: a client that falls this far behind loses
    /// frames (as a real venue's slow-consumer rule would cut it off) and sees a gap.
    conns: Mutex<BTreeMap<u64, mpsc::Sender<EmuFrame>>>,
    next_conn: AtomicU64,
    faults: Mutex<Faults>,
}

impl EmuState {
    fn dispatch(&self, frames: Vec<EmuFrame>) {
        let conns = self.conns.lock();
        let mut faults = self.faults.lock();
        for f in frames {
            let Some(tx) = conns.get(&f.conn) else {
                continue;
            };
            if faults.stalled.contains(&f.conn) && !f.close_after {
                continue;
            }
            if faults.duplicate.remove(&f.conn) {
                let _ = tx.try_send(f.clone());
            }
            match faults.reorder.get_mut(&f.conn) {
                Some(slot @ None) => {
                    *slot = Some(f);
                    continue;
                }
                Some(Some(_)) => {
                    let held = faults.reorder.remove(&f.conn).flatten();
                    let _ = tx.try_send(f);
                    if let Some(h) = held {
                        let _ = tx.try_send(h);
                    }
                    continue;
                }
                None => {}
            }
            let _ = tx.try_send(f);
        }
    }

    /// Handles a transport fault command; `None` when it is not one (the plugin's turn).
    fn transport_fault(&self, cmd: &str) -> Option<String> {
        let v: serde_json::Value = serde_json::from_str(cmd).ok()?;
        if v["op"] != "fault" {
            return None;
        }
        let ids: Vec<u64> = self.conns.lock().keys().copied().collect();
        let mut f = self.faults.lock();
        match v["kind"].as_str()? {
            "stall" => f.stalled.extend(ids),
            "duplicate" => f.duplicate.extend(ids),
            "reorder" => {
                for id in ids {
                    f.reorder.insert(id, None);
                }
            }
            "rest_error" => {
                let status = v["status"]
                    .as_u64()
                    .and_then(|s| u16::try_from(s).ok())
                    .unwrap_or(429);
                let count = v["count"]
                    .as_u64()
                    .and_then(|c| u32::try_from(c).ok())
                    .unwrap_or(1);
                f.rest_error = Some((status, count));
            }
            _ => return None,
        }
        Some("{}".to_owned())
    }

    /// Takes one armed REST failure.
    fn take_rest_error(&self) -> Option<u16> {
        let mut f = self.faults.lock();
        let (status, left) = f.rest_error?;
        f.rest_error = (left > 1).then(|| (status, left - 1));
        Some(status)
    }
}

/// A running emulator server.
#[allow(missing_debug_implementations)] // holds a plugin trait object
pub struct EmulatorServer {
    addr: SocketAddr,
    state: Arc<EmuState>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl EmulatorServer {
    /// Binds `bind` (use port 0 for an ephemeral port) and serves `emu`, advancing its market
    /// every `tick`.
    ///
    /// # Errors
    /// Bind errors.
    pub async fn start(
        emu: VenueEmulatorBox,
        bind: SocketAddr,
        tick: Duration,
    ) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(EmuState {
            emu: Mutex::new(emu),
            conns: Mutex::new(BTreeMap::new()),
            next_conn: AtomicU64::new(1),
            faults: Mutex::new(Faults::default()),
        });
        let (shutdown, rx) = watch::channel(false);
        let app = Router::new().fallback(serve).with_state(state.clone());
        let mut rx1 = rx.clone();
        let server = tokio::spawn(async move {
            // Nagle off, as exchanges' edge servers do for market data: one frame per write.
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx1.changed().await;
                })
                .await;
        });
        let st = state.clone();
        let mut rx2 = rx;
        let ticker = tokio::spawn(async move {
            let mut iv = tokio::time::interval(tick);
            iv.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    _ = rx2.changed() => return,
                    _ = iv.tick() => {
                        let frames = st.emu.lock().advance(now_ns()).into_result();
                        match frames {
                            Ok(f) => st.dispatch(f.into_vec()),
                            Err(e) => tracing::error!(error = %e, "emulator advance failed"),
                        }
                    }
                }
            }
        });
        tracing::info!(%addr, "venue emulator listening");
        Ok(Self {
            addr,
            state,
            shutdown,
            tasks: vec![server, ticker],
        })
    }

    /// Bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `ws://addr`.
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// `http://addr`.
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Sends a control command (statistics, true book, faults).
    ///
    /// # Errors
    /// The emulator's error.
    pub fn control(&self, cmd: &str) -> Result<String, PluginError> {
        if let Some(done) = self.state.transport_fault(cmd) {
            return Ok(done);
        }
        Ok(self
            .state
            .emu
            .lock()
            .control(RStr::from_str(cmd))
            .into_result()?
            .into())
    }

    /// Stops serving.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        self.state.conns.lock().clear();
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

async fn serve(
    State(st): State<Arc<EmuState>>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    method: Method,
    uri: Uri,
    body: String,
) -> Response {
    let pq = uri
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    if let Ok(ws) = ws {
        return ws.on_upgrade(move |socket| serve_ws(st, socket, pq));
    }
    if let Some(status) = st.take_rest_error() {
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::TOO_MANY_REQUESTS);
        return (
            code,
            [("content-type", "application/json")],
            format!(r#"{{"code":-1003,"msg":"injected HTTP {status}"}}"#),
        )
            .into_response();
    }
    let req = HttpRequest {
        venue: "".into(),
        method: method.as_str().into(),
        path_and_query: pq.into(),
        body: body.into(),
    };
    let r = st.emu.lock().http(req, now_ns()).into_result();
    match r {
        Ok(resp) => {
            let status =
                StatusCode::from_u16(resp.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (
                status,
                [("content-type", "application/json")],
                resp.body.to_string(),
            )
                .into_response()
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// Frames queued per emulated connection.
const EMU_CONN_QUEUE: usize = 16_384;

async fn serve_ws(st: Arc<EmuState>, socket: WebSocket, path: String) {
    let id = st.next_conn.fetch_add(1, Ordering::Relaxed);
    let (tx, mut rx) = mpsc::channel::<EmuFrame>(EMU_CONN_QUEUE);
    st.conns.lock().insert(id, tx);
    let opened = st
        .emu
        .lock()
        .ws_open(id, RStr::from_str(&path), now_ns())
        .into_result();
    if let Ok(f) = opened {
        st.dispatch(f.into_vec());
    }
    let (mut write, mut read) = socket.split();
    loop {
        tokio::select! {
            f = rx.recv() => match f {
                Some(f) => {
                    if !f.text.is_empty() && write.send(Message::Text(f.text.to_string().into())).await.is_err() {
                        break;
                    }
                    if f.close_after {
                        let _ = write.send(Message::Close(None)).await;
                        break;
                    }
                }
                None => break,
            },
            m = read.next() => match m {
                Some(Ok(Message::Text(t))) => {
                    let r = st.emu.lock().ws_message(id, RStr::from_str(t.as_str()), now_ns()).into_result();
                    if let Ok(f) = r {
                        st.dispatch(f.into_vec());
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            }
        }
    }
    st.conns.lock().remove(&id);
    {
        let mut f = st.faults.lock();
        f.stalled.remove(&id);
        f.duplicate.remove(&id);
        f.reorder.remove(&id);
    }
    st.emu.lock().ws_close(id, now_ns());
}
