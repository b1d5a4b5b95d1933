//! One operator's idle hour on AWS (issue 17): what the workspace reads while nothing happens,
//! before (polling every 3 s, badges counted with `Select COUNT` queries over the list index) and
//! after (pushed changes with a safety poll every 60 s, badges read from counters kept with every
//! write). The items DynamoDB reads are measured on moto with `few` and `many` conversations
//! waiting in the operator's queue; the old count is the query it made, run against the same
//! data.

use adapters::aws::DynamoConversationStore;
use adapters::ports::{ConversationStore, ReadMeter};
use aws_sdk_dynamodb::types::{AttributeValue, Select};
use domain::conversation::{Author, ClientRef, Content, Conversation, Handler, LastMessage, Opening};
use domain::ids::{ChannelId, ConversationId, EmployeeId, TenantId};
use domain::settings::AutoCloseAfter;
use std::sync::Arc;

/// Queue sizes measured.
pub const SIZES: [usize; 2] = [10, 1_000];
/// Polls an hour: every 3 s before; every 60 s after (the live channel's safety net).
pub const POLLS_BEFORE: u64 = 1200;
pub const POLLS_AFTER: u64 = 60;

/// What one poll of the badges and the list head read, for one queue size.
pub struct Poll {
    pub open: usize,
    /// Bytes of one stored conversation (its JSON document and keys), as written here.
    pub item_bytes: usize,
    /// Items read by the badge count: the old `Select COUNT` queries; the counters now (one key
    /// asked for per list, each read unit counted whether the counter exists yet or not).
    pub count_items_before: u64,
    pub count_items_after: u64,
    pub counters: u64,
    /// Items read by the list's head (page of 100; the same before and after).
    pub head_items: u64,
}

impl Poll {
    /// Read units of a query reading `items` of `bytes` each, eventually consistent (what a GSI
    /// query is): half a unit per 4 KB of the items together.
    fn query_units(items: u64, bytes: usize) -> f64 {
        ((items as f64 * bytes as f64) / 4096.0).ceil() * 0.5
    }

    /// Read units of one poll before: the counts' queries and the list head.
    pub fn units_before(&self) -> f64 {
        Self::query_units(self.count_items_before, self.item_bytes)
            + Self::query_units(self.head_items, self.item_bytes)
    }

    /// Read units of one poll now: one eventually consistent item read per counter, and the
    /// list head.
    pub fn units_after(&self) -> f64 {
        self.counters as f64 * 0.5 + Self::query_units(self.head_items, self.item_bytes)
    }
}

fn conversation(i: usize) -> Result<Conversation, String> {
    let at = chrono::Utc::now() - chrono::TimeDelta::minutes(30) + chrono::TimeDelta::seconds(i as i64);
    let mut c = Conversation::open(Opening {
        id: ConversationId::parse(format!("c{i:05}")).map_err(|e| e.to_string())?,
        channel_id: ChannelId::parse("ch").map_err(|e| e.to_string())?,
        chat_id: format!("u2i-idle-{i}"),
        handler: Handler::GeneralQueue,
        client: ClientRef {
            avito_user_id: Some(600_000 + i as i64),
            name: Some(format!("Покупатель {i}")),
            card_id: None,
        },
        listing: None,
        at,
        last_activity_at: at,
        waiting_since: Some(at),
        candidate: None,
        auto_close_after: AutoCloseAfter::default(),
    });
    c.last_message = Some(LastMessage {
        author: Author::Client,
        content: Content::Text {
            text: "Здравствуйте! Велосипед ещё продаётся? Можно посмотреть сегодня вечером?".into(),
        },
        at,
    });
    Ok(c)
}

/// Measures one poll for each of [`SIZES`]; needs moto at `AWS_ENDPOINT_URL`.
pub async fn measure() -> Result<Vec<Poll>, String> {
    let client = adapters::aws::dynamodb_client_from_env().await;
    let template = aws_stack::StackTemplate::repository().map_err(|e| e.to_string())?;
    let table = format!("idle-{}", chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0));
    aws_stack::create_table(&client, template.table().map_err(|e| e.to_string())?, &table).await?;
    let store = Arc::new(DynamoConversationStore::new(client.clone(), table.clone()));
    let me = Handler::Operator {
        employee_id: EmployeeId::parse("olga").map_err(|e| e.to_string())?,
    };
    let lists = [me, Handler::GeneralQueue];
    let mut polls = Vec::new();
    for (n, open) in SIZES.into_iter().enumerate() {
        let tenant = TenantId::parse(format!("idle{n}")).map_err(|e| e.to_string())?;
        for i in 0..open {
            store
                .open(&tenant, &conversation(i)?)
                .await
                .map_err(|e| e.to_string())?;
        }
        let item_bytes = serde_json::to_string(&conversation(0)?)
            .map_err(|e| e.to_string())?
            .len()
            + 200;

        let before = store.read_work();
        let counted = store
            .count_open_by_handler(&tenant, &lists)
            .await
            .map_err(|e| e.to_string())?;
        let count_items_after = store.read_work() - before;
        let before = store.read_work();
        store
            .open_by_handler(&tenant, &lists, None, 100)
            .await
            .map_err(|e| e.to_string())?;
        let head_items = store.read_work() - before;
        if counted != open as u64 {
            return Err(format!("counted {counted} of {open}"));
        }

        // The count as it was: a `Select COUNT` query over each list's index partition.
        let mut count_items_before = 0u64;
        for list in ["OP#olga", "GENERAL"] {
            let mut start = None;
            loop {
                let out = client
                    .query()
                    .table_name(&table)
                    .index_name("GSI2")
                    .key_condition_expression("#pk = :pk")
                    .expression_attribute_names("#pk", "GSI2PK")
                    .expression_attribute_values(":pk", AttributeValue::S(format!("T#{tenant}#H#{list}")))
                    .select(Select::Count)
                    .set_exclusive_start_key(start.take())
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                count_items_before += u64::try_from(out.scanned_count()).unwrap_or(0);
                match out.last_evaluated_key() {
                    Some(k) if !k.is_empty() => start = Some(k.clone()),
                    _ => break,
                }
            }
        }
        polls.push(Poll {
            open,
            item_bytes,
            count_items_before,
            count_items_after,
            counters: lists.len() as u64,
            head_items,
        });
    }
    Ok(polls)
}
