//! The live push (R-UI1, issue 17): Lambda reads the table's DynamoDB stream in batches and
//! hands each one here. Its records are read as changes (`adapters::aws::dynamodb_stream`), and
//! each change is sent to every open WebSocket connection of its tenant
//! ([`services::live::Live::push`]). A batch whose tenants' connections could not be read fails,
//! so Lambda tries it again (the template bounds the retries and the records' age: a change
//! pushed late is worth little, and a workspace that reconnects reads the current state anyway).

use adapters::aws::dynamodb_stream::changes_of_records;
use adapters::ports::LivePush;
use aws_lambda_events::event::dynamodb::Event;
use services::live::{Live, PushReport};

/// Pushes one stream batch.
pub async fn handle(live: &Live, sender: &dyn LivePush, batch: &Event) -> Result<PushReport, services::ServiceError> {
    let changes = changes_of_records(&batch.records);
    if changes.is_empty() {
        return Ok(PushReport::default());
    }
    let report = live.push(sender, &changes).await?;
    tracing::info!(
        records = batch.records.len(),
        changes = changes.len(),
        sent = report.sent,
        gone = report.gone,
        closed = report.closed,
        failed = report.failed,
        "live push"
    );
    Ok(report)
}
