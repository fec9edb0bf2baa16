//! Progress through many items: a bar on a terminal (done, rate, time left), plain lines when the
//! output is not one, and a summary line at the end.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

pub struct Progress {
    bar: ProgressBar,
    plain: bool,
    what: &'static str,
}

impl Progress {
    pub fn new(what: &'static str, total: u64) -> Self {
        let plain = !std::io::stderr().is_terminal();
        let bar = if plain {
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden())
        } else {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {per_sec} left {eta}")
                    .expect("a valid template"),
            );
            bar
        };
        bar.set_message(what);
        Self { bar, plain, what }
    }

    /// One more item done; a plain line every thousand.
    pub fn inc(&self) {
        self.bar.inc(1);
        let done = self.bar.position();
        if self.plain && done.is_multiple_of(1000) {
            eprintln!(
                "{}: {done} of {}",
                self.what,
                self.bar.length().unwrap_or(0)
            );
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
