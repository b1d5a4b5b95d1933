//! Delayed auto-replies (R-AR1–R-AR3): the plan for one waiting period, and whether a fired
//! auto-reply may still be sent.

use crate::settings::{AutoReplies, AutoReplyText};
use chrono::{DateTime, Utc};

/// One auto-reply to send at `due_at` unless somebody answers first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedAutoReply {
    /// Its position in the settings' list, which with the waiting period names it uniquely.
    pub index: usize,
    pub text: AutoReplyText,
    pub due_at: DateTime<Utc>,
}

/// The auto-replies for a waiting period that began with a client message at `waiting_since`.
/// Only those due before `period_ends_at` (the end of the working or non-working period the message
/// arrived in; `None` when it does not end) are planned, so non-working-time replies are never sent
/// in working time and the other way round. One plan per waiting period: later client messages in
/// the same period do not make a new one.
pub fn plan_auto_replies(
    waiting_since: DateTime<Utc>,
    replies: &AutoReplies,
    period_ends_at: Option<DateTime<Utc>>,
) -> Vec<PlannedAutoReply> {
    replies
        .as_slice()
        .iter()
        .enumerate()
        .map(|(index, r)| PlannedAutoReply {
            index,
            text: r.text.clone(),
            due_at: waiting_since + r.delay,
        })
        .filter(|p| period_ends_at.is_none_or(|end| p.due_at < end))
        .collect()
}

/// The longest schedule name EventBridge Scheduler accepts.
pub const MAX_SCHEDULE_NAME: usize = 64;

/// A deterministic schedule name from its parts: the same parts always give the same name (so a
/// repeated "schedule it" finds the existing schedule), only `[0-9A-Za-z-_.]`, at most 64
/// characters; a longer name keeps its start and ends with a hash of the whole.
pub fn schedule_name(parts: &[&str]) -> String {
    let joined = parts.join("-");
    let clean: String = joined
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.len() <= MAX_SCHEDULE_NAME && clean == joined {
        return clean;
    }
    // FNV-1a over the original parts, so two names that clean to the same text still differ.
    let hash = joined.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let suffix = format!("-{hash:016x}");
    let keep = MAX_SCHEDULE_NAME - suffix.len();
    format!("{}{suffix}", &clean[..clean.len().min(keep)])
}

/// What the conversation looks like when a planned auto-reply fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AutoReplyCheck {
    pub conversation_open: bool,
    /// When the waiting period this auto-reply belongs to began.
    pub planned_for_waiting_since: DateTime<Utc>,
    /// When the current waiting period began; `None` if nobody is waiting (answered since).
    pub waiting_since: Option<DateTime<Utc>>,
    /// Whether this auto-reply was already sent (the schedule fired before).
    pub already_sent: bool,
}

/// Send only if the conversation is open, the same waiting period still runs (no operator or bot
/// answered since), and it was not sent already (R-AR2). Periods are told apart to the second,
/// as planned auto-replies carry their period's start in whole seconds.
pub fn should_send_auto_reply(check: AutoReplyCheck) -> bool {
    check.conversation_open
        && !check.already_sent
        && check.waiting_since.map(|w| w.timestamp()) == Some(check.planned_for_waiting_since.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::ChannelKind;
    use crate::settings::{AutoReplyDoc, ChannelSettings, ChannelSettingsDoc};

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("test instant parses")
    }

    fn replies(delays: &[i64]) -> AutoReplies {
        let mut doc = ChannelSettingsDoc::default();
        doc.working_time.auto_replies = delays
            .iter()
            .map(|d| AutoReplyDoc {
                text: format!("через {d} с"),
                delay_seconds: *d,
            })
            .collect();
        let s: ChannelSettings = doc.validate(ChannelKind::Avito).expect("valid settings");
        s.working_auto_replies
    }

    #[test]
    fn each_auto_reply_is_due_at_message_time_plus_its_delay() {
        let plan = plan_auto_replies(at("2026-11-25T10:00:00Z"), &replies(&[0, 60, 600]), None);
        let due: Vec<_> = plan.iter().map(|p| (p.index, p.due_at)).collect();
        assert_eq!(
            due,
            [
                (0, at("2026-11-25T10:00:00Z")),
                (1, at("2026-11-25T10:01:00Z")),
                (2, at("2026-11-25T10:10:00Z"))
            ]
        );
        assert_eq!(plan[1].text.as_str(), "через 60 с");
    }

    #[test]
    fn replies_due_after_the_period_ends_are_not_planned() {
        let end = Some(at("2026-11-25T10:05:00Z"));
        let plan = plan_auto_replies(at("2026-11-25T10:00:00Z"), &replies(&[0, 299, 300, 600]), end);
        assert_eq!(plan.iter().map(|p| p.index).collect::<Vec<_>>(), [0, 1]);
    }

    #[test]
    fn an_empty_list_plans_nothing() {
        assert!(plan_auto_replies(at("2026-11-25T10:00:00Z"), &replies(&[]), None).is_empty());
    }

    #[test]
    fn schedule_names_are_deterministic_safe_and_short() {
        let short = schedule_name(&["ar", "acme", "c1", "0"]);
        assert_eq!(short, "ar-acme-c1-0");
        assert_eq!(schedule_name(&["ar", "acme", "c1", "0"]), short);
        let long = schedule_name(&["ar", &"x".repeat(60), "c1", "1732528800", "3"]);
        assert_eq!(long.len(), 64);
        assert!(long.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)));
        assert_ne!(long, schedule_name(&["ar", &"x".repeat(60), "c1", "1732528800", "4"]));
        let odd = schedule_name(&["ar", "a#b", "c"]);
        assert!(
            odd.starts_with("ar-a_b-c-") && odd != schedule_name(&["ar", "a_b", "c"]),
            "{odd}"
        );
    }

    #[test]
    fn send_decision_table() {
        let since = at("2026-11-25T10:00:00Z");
        let later = at("2026-11-25T10:30:00Z");
        let table = [
            (true, Some(since), false, true),   // still waiting: send
            (false, Some(since), false, false), // closed
            (true, None, false, false),         // answered, nobody waiting
            (true, Some(later), false, false),  // answered, then a new waiting period began
            (true, Some(since), true, false),   // the schedule fired twice
            // The plan keeps whole seconds of a period that began mid-second: the same period.
            (true, Some(at("2026-11-25T10:00:00.250Z")), false, true),
            (true, Some(at("2026-11-25T10:00:01Z")), false, false),
        ];
        for (open, waiting, sent, expected) in table {
            let check = AutoReplyCheck {
                conversation_open: open,
                planned_for_waiting_since: since,
                waiting_since: waiting,
                already_sent: sent,
            };
            assert_eq!(should_send_auto_reply(check), expected, "{check:?}");
        }
    }
}
