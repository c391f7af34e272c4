//! `GET /v2/api/integration[?from=…&to=…]`: light frames per target and filter, how
//! many and how many seconds, over a span of dates (as `image-history` reads `from` and
//! `to`) or the whole history. stxd's addition, for the dashboard's integration view:
//! summed in the database, so a long history is not sent to be added up.

use axum::extract::{RawQuery, State};
use axum::response::Response;
use serde::Serialize;
use stx_history::DateRange;

use super::envelope::{self, ApiError};
use super::json_number::Num;
use super::{V2State, blocking, history_query, internal};

/// One row on the wire.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct IntegrationJson {
    target_name: String,
    filter: String,
    frames: u64,
    exposure_time: Num,
}

/// `GET /v2/api/integration`.
pub(crate) async fn integration(
    State(state): State<V2State>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = super::params(query)?;
    let dates =
        DateRange { from: history_query::date(&params, "from")?, to: history_query::date(&params, "to")? };
    blocking("integration", move || {
        let rows = state.history.integration(&dates).map_err(|e| internal("integration", e))?;
        Ok(envelope::ok(
            rows.into_iter()
                .map(|r| IntegrationJson {
                    target_name: r.target_name,
                    filter: r.filter,
                    frames: r.frames,
                    exposure_time: Num(r.exposure_s),
                })
                .collect::<Vec<_>>(),
        ))
    })
    .await
}
