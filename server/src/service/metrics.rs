//! Counters for `GET /metrics`, in Prometheus' text format: what an operator graphs and alerts
//! on. Plain atomics, so counting costs the hot path next to nothing.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct Metrics {
    /// Responses by status class: 1xx–5xx.
    responses: [AtomicU64; 5],
    pub testimonials_submitted: AtomicU64,
    pub moderation_actions: AtomicU64,
    pub public_list_cache_hits: AtomicU64,
    pub public_list_cache_misses: AtomicU64,
    pub invitation_emails_sent: AtomicU64,
    pub invitation_email_failures: AtomicU64,
    pub rewards_given: AtomicU64,
    pub stripe_events: AtomicU64,
}

impl Metrics {
    pub fn count_response(&self, status: u16) {
        if let Some(class) = self.responses.get(usize::from(status / 100).wrapping_sub(1)) {
            class.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP fanfare_http_responses_total HTTP responses by status class.");
        let _ = writeln!(out, "# TYPE fanfare_http_responses_total counter");
        for (index, counter) in self.responses.iter().enumerate() {
            let _ = writeln!(
                out,
                "fanfare_http_responses_total{{class=\"{}xx\"}} {}",
                index + 1,
                counter.load(Ordering::Relaxed)
            );
        }
        for (name, help, counter) in [
            (
                "fanfare_testimonials_submitted_total",
                "Testimonials stored (honeypot catches excluded).",
                &self.testimonials_submitted,
            ),
            ("fanfare_moderation_actions_total", "Moderation actions applied.", &self.moderation_actions),
            (
                "fanfare_public_list_cache_hits_total",
                "Public lists answered from memory.",
                &self.public_list_cache_hits,
            ),
            (
                "fanfare_public_list_cache_misses_total",
                "Public lists read from the database.",
                &self.public_list_cache_misses,
            ),
            (
                "fanfare_invitation_emails_sent_total",
                "Invitation and reminder emails the SMTP server accepted.",
                &self.invitation_emails_sent,
            ),
            (
                "fanfare_invitation_email_failures_total",
                "Invitation and reminder emails the SMTP server refused or could not take.",
                &self.invitation_email_failures,
            ),
            ("fanfare_rewards_given_total", "Referral rewards handed out.", &self.rewards_given),
            (
                "fanfare_stripe_events_total",
                "Stripe events whose signature held (each handled once).",
                &self.stripe_events,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                counter.load(Ordering::Relaxed)
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_come_out_in_prometheus_text_format() {
        let metrics = Metrics::default();
        metrics.count_response(201);
        metrics.count_response(404);
        metrics.count_response(404);
        metrics.count_response(42);
        Metrics::add(&metrics.testimonials_submitted);
        let text = metrics.render();
        assert!(text.contains("fanfare_http_responses_total{class=\"2xx\"} 1\n"), "{text}");
        assert!(text.contains("fanfare_http_responses_total{class=\"4xx\"} 2\n"));
        assert!(text.contains("fanfare_testimonials_submitted_total 1\n"));
        assert!(text.contains("# TYPE fanfare_moderation_actions_total counter"));
    }
}
