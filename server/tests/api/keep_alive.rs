//! A connection the server is about to close for idling is never handed a request.
//!
//! hyper closes a keep-alive connection that brings no new request within the header timeout.
//! A client that idles about that long and then reuses the connection races the close, and
//! loses with `IncompleteMessage`; the export test once failed so in CI, after slow inserts.

use std::time::Duration;

use crate::helpers::*;

#[tokio::test]
async fn a_request_after_the_servers_idle_limit_goes_out_on_a_fresh_connection() {
    let idle_limit = Duration::from_millis(100);
    let app = spawn_app_with(|settings| settings.timeouts.header_read = idle_limit).await;
    // Idle for the limit and a little either side, in steps finer than the timer's, so some
    // requests leave as the server gives up on the connection.
    for step in 0..40u32 {
        let ready = app.client.get(app.url("/healthz")).send().await;
        assert_eq!(ready.expect("the first request of the pair").status(), 200);
        tokio::time::sleep(idle_limit - Duration::from_millis(5) + Duration::from_micros(250) * step).await;
        let after_idling = app.client.get(app.url("/healthz")).send().await;
        let after_idling = after_idling.unwrap_or_else(|error| panic!("step {step}: {error:?}"));
        assert_eq!(after_idling.status(), 200);
    }
}
