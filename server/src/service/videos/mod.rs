//! Video testimonials: an upload is read and checked here before anything of it is kept.

pub mod probe;
