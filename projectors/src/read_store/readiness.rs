//! `/readyz`'s view of the read models: the database answers and no projection is halted.

use super::ReadStore;
use async_trait::async_trait;
use infra::http::health::ReadinessCheck;
use serde_json::{json, Map, Value};

/// Ready when the read models' database answers and no projection's state is `halted`.
#[derive(Debug, Clone)]
pub struct ReadModelsReady(pub ReadStore);

#[async_trait]
impl ReadinessCheck for ReadModelsReady {
    fn name(&self) -> &'static str {
        "read_models"
    }

    async fn check(&self) -> Result<Value, String> {
        let rows = self.0.checkpoints().await.map_err(|error| {
            tracing::warn!(%error, "readiness check: read models unreachable");
            "the read models' database does not answer".to_owned()
        })?;
        let halted: Vec<&str> = rows.iter().filter(|r| r.state == "halted").map(|r| r.projection.as_str()).collect();
        if !halted.is_empty() {
            return Err(format!("halted: {} (see folio projections status)", halted.join(", ")));
        }
        let positions: Map<String, Value> = rows.iter().map(|r| (r.projection.clone(), json!(r.position))).collect();
        Ok(json!({ "positions": positions }))
    }
}
