//! `GET /v2/socket`: a WebSocket that pushes every event as its envelope text.

use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use tokio::sync::broadcast::error::RecvError;

use super::V2State;
use super::envelope::ApiError;

/// Upgrades the connection; a request that cannot be upgraded (a plain GET from a
/// browser, a missing key) gets the envelope, as every reply on this port does.
pub(crate) async fn upgrade(
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    State(state): State<V2State>,
) -> Result<Response, ApiError> {
    let ws =
        ws.map_err(|e| ApiError::NotAWebSocket(format!("Not a WebSocket upgrade: {}", e.body_text())))?;
    let events = state.events.subscribe();
    Ok(ws.on_upgrade(move |socket| push(socket, events)))
}

/// Sends each event until the client goes away. Messages from the client are read and
/// ignored (a ping is answered by the library).
async fn push(mut socket: WebSocket, mut events: tokio::sync::broadcast::Receiver<String>) {
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(text) => {
                    if socket.send(Message::Text(text.into())).await.is_err() {
                        return;
                    }
                }
                // A slow client missed some events; it reads on from the newest.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}
