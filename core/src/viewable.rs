//! Viewability, as a state machine: an element is viewable once at least
//! half of it ([`MIN_RATIO`]) has been in view for one continuous second
//! ([`MIN_MS`]) of a visible tab; it becomes so once, and stays. The count
//! starts again whenever the element drops below half in view or the tab is
//! hidden (the MRC rule: 0.6 s, a hidden tab, then 0.5 s is no second). The
//! shell (`pkg-template/viewability.js`) feeds [`step`] what it observes,
//! in time order: each intersection the browser computed (its ratio and its
//! time, so a busy page's late callback still counts from when the element
//! was seen), each change of the tab's visibility, its timer, and the page
//! hiding (a second already reached then still counts).
//!
//! The state is one number, which the shell holds and hands back: at first
//! anything that is none of the states (`undefined` in JS is NaN); while
//! counting, the time at which the element becomes viewable (the shell's
//! timer is for then); [`VIEWABLE`] once it is.

/// The share of the element that must be in view.
pub const MIN_RATIO: f64 = 0.5;
/// For how long, continuously, in ms.
pub const MIN_MS: f64 = 1000.0;
/// The element is viewable (the event is due, once).
pub const VIEWABLE: f64 = -1.0;
/// Less than half in view (or not known yet).
const OUT: f64 = -2.0;
/// In view, in a hidden tab.
const HIDDEN: f64 = -3.0;

/// The next state after `state`, given what the shell observed at `time`
/// (its `performance.now()` clock): whether the tab is `visible`, and the
/// share of the element in view, `ratio`, when an intersection is reported
/// (negative when nothing new is known of it: a timer, a change of
/// visibility, the page hiding).
pub fn step(state: f64, time: f64, visible: bool, ratio: f64) -> f64 {
    let counting = state >= 0.0;
    // Seen for a second by `time`: whatever happens now (out of view,
    // hidden) happens after it.
    if state == VIEWABLE || (counting && time >= state) {
        return VIEWABLE;
    }
    let in_view = if ratio >= 0.0 {
        ratio >= MIN_RATIO
    } else {
        counting || state == HIDDEN
    };
    if !in_view {
        OUT
    } else if !visible {
        HIDDEN
    } else if counting {
        state
    } else {
        time + MIN_MS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NO_NEWS: f64 = -1.0;

    /// A watch: its state, with the shell's steps.
    struct Watch {
        state: f64,
        visible: bool,
        now: f64,
    }

    impl Watch {
        fn new() -> Watch {
            Watch {
                state: f64::NAN,
                visible: true,
                now: 10_000.0,
            }
        }
        fn report(&mut self, ratio: f64) {
            self.report_at(ratio, self.now);
        }
        fn report_at(&mut self, ratio: f64, time: f64) {
            self.state = step(self.state, time, self.visible, ratio);
        }
        fn show(&mut self, visible: bool) {
            self.visible = visible;
            self.state = step(self.state, self.now, visible, NO_NEWS);
        }
        /// Time passes; the shell's timer fires at the state's time if it
        /// is within (as `setTimeout` would).
        fn wait(&mut self, ms: f64) {
            let end = self.now + ms;
            if self.state >= 0.0 && self.state <= end {
                self.now = self.state;
                self.state = step(self.state, self.now, self.visible, NO_NEWS);
            }
            self.now = end;
        }
        fn viewable(&self) -> bool {
            self.state == VIEWABLE
        }
    }

    #[test]
    fn viewable_after_one_second_with_at_least_half_in_view_once() {
        let mut w = Watch::new();
        w.report(0.5);
        w.wait(999.0);
        assert!(!w.viewable());
        w.wait(1.0);
        assert!(w.viewable());
        w.report(0.0);
        w.report(1.0);
        w.wait(5000.0);
        assert!(w.viewable(), "once viewable, it stays so (the shell stops)");
        assert_eq!(step(VIEWABLE, 0.0, false, 0.0), VIEWABLE);
    }

    #[test]
    fn the_second_is_timed_from_the_intersections_time() {
        let mut w = Watch::new();
        w.report_at(1.0, w.now - 600.0); // computed 600 ms ago, reported late
        assert_eq!(w.state, 10_400.0, "the timer is for 400 ms from now");
        w.wait(400.0);
        assert!(w.viewable());
    }

    #[test]
    fn the_second_must_be_continuous_leaving_view_starts_over() {
        let mut w = Watch::new();
        w.report(1.0);
        w.wait(700.0);
        w.report(0.4);
        w.wait(700.0);
        w.report(0.6);
        w.wait(999.0);
        assert!(!w.viewable());
        w.wait(1.0);
        assert!(w.viewable());
    }

    #[test]
    fn time_counted_before_the_tab_was_hidden_is_lost_too_when_the_element_leaves_view() {
        let mut w = Watch::new();
        w.report(1.0);
        w.wait(600.0);
        w.show(false);
        w.show(true);
        w.report(0.0);
        w.report(1.0);
        w.wait(500.0);
        assert!(
            !w.viewable(),
            "600 ms, then out of view, then 500 ms: no second"
        );
        w.wait(500.0);
        assert!(w.viewable());
    }

    // Changed on purpose (issue 13): hiding the tab used to pause the
    // clock (600 ms, hidden, then 400 ms counted); the MRC rule wants one
    // continuous second, so hiding starts the count over.
    #[test]
    fn hiding_the_tab_starts_the_second_over() {
        let mut w = Watch::new();
        w.report(1.0);
        w.wait(600.0);
        w.show(false);
        w.wait(5000.0);
        assert!(!w.viewable());
        w.show(true);
        w.wait(400.0);
        assert!(
            !w.viewable(),
            "600 ms, hidden, 400 ms: no continuous second"
        );
        w.wait(599.0);
        assert!(!w.viewable());
        w.wait(1.0);
        assert!(w.viewable(), "a whole second after the tab was shown");
    }

    #[test]
    fn in_view_while_the_tab_is_hidden_the_clock_starts_when_it_is_shown() {
        let mut w = Watch::new();
        w.show(false);
        w.report(1.0);
        w.wait(3000.0);
        assert!(!w.viewable());
        w.show(true);
        assert_eq!(w.state, 14_000.0);
        w.wait(1000.0);
        assert!(w.viewable());
    }

    #[test]
    fn a_second_already_seen_as_the_page_hides_counts() {
        let mut w = Watch::new();
        w.report(1.0);
        w.now += 1200.0; // a busy page: the timer has not run yet
        w.show(false);
        assert!(w.viewable());
        let mut other = Watch::new();
        other.report(1.0);
        other.now += 500.0;
        other.show(false);
        assert!(!other.viewable(), "half a second is not a second");
        let mut leaving = Watch::new();
        leaving.report(1.0);
        leaving.now += 1000.0;
        leaving.state = step(leaving.state, leaving.now, true, NO_NEWS); // pagehide, still visible
        assert!(leaving.viewable());
    }

    #[test]
    fn leaving_view_after_the_second_is_still_a_second() {
        let mut w = Watch::new();
        w.report(1.0);
        w.report_at(0.0, w.now + 1000.0); // the timer was late; it left at 1 s
        assert!(w.viewable());
        let mut early = Watch::new();
        early.report(1.0);
        early.report_at(0.0, early.now + 999.0);
        assert!(!early.viewable());
        assert_eq!(early.state, OUT);
    }

    #[test]
    fn whatever_the_shell_hands_back_that_is_no_state_is_out_of_view() {
        for state in [f64::NAN, -7.0, f64::NEG_INFINITY] {
            assert_eq!(step(state, 5.0, true, NO_NEWS), OUT);
            assert_eq!(step(state, 5.0, true, 0.7), 1005.0);
            assert_eq!(step(state, 5.0, false, 0.7), HIDDEN);
        }
    }
}
