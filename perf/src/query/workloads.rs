//! The HTTP workloads, one per read shape, plus GET /healthz.

use super::args::Args;
use super::dataset::published_at_or_before;
use super::setup::{encode, join, list_url, Setup};
use super::{HEALTHZ, USERS};
use crate::http1::Client;
use crate::load::{load, Getter};
use crate::measure::Figures;
use crate::Error;
use std::sync::Arc;
use std::time::Duration;

pub async fn measure(
    workload: &str,
    args: &Args,
    base: &str,
    site: &str,
    setup: &Arc<Setup>,
) -> Result<Figures, Error> {
    let (c, warmup, seconds) = (args.connections, args.warmup, args.seconds);
    let articles = args.scale.articles();
    let client = Arc::new(Client::new(base, Some(Duration::from_secs(args.request_timeout)))?);
    let getter = |key: Option<&str>| Getter::new(client.clone(), workload, key);
    let figures = match workload {
        "list20" => {
            let (get, url) = (getter(None), Arc::new(list_url(base)));
            load(c, warmup, seconds, move |_| {
                let (get, url) = (get.clone(), url.clone());
                async move { get.get(&url).await }
            })
            .await
        }
        "list20_cursor" => {
            let urls: Arc<Vec<String>> =
                Arc::new(setup.cursors.iter().map(|k| format!("{}&after={}", list_url(base), encode(k))).collect());
            let get = getter(None);
            load(c, warmup, seconds, move |_| {
                let (get, urls) = (get.clone(), urls.clone());
                async move { get.get(&urls[fastrand::usize(..urls.len())]).await }
            })
            .await
        }
        "by_tag" => {
            let urls: Arc<Vec<String>> =
                Arc::new(setup.tags.iter().map(|t| format!("{}&filter%5Btags%5D={t}", list_url(base))).collect());
            let get = getter(None);
            load(c, warmup, seconds, move |_| {
                let (get, urls) = (get.clone(), urls.clone());
                async move { get.get(&urls[fastrand::usize(..urls.len())]).await }
            })
            .await
        }
        "detail" => {
            let (get, base) = (getter(None), Arc::<str>::from(base));
            load(c, warmup, seconds, move |_| {
                let get = get.clone();
                let id = published_at_or_before(fastrand::u64(1..=articles));
                let url = format!("{base}/v1/content/article/article-{id}");
                async move { get.get(&url).await }
            })
            .await
        }
        "history" => {
            let (get, base) = (getter(Some(site)), Arc::<str>::from(base));
            load(c, warmup, seconds, move |_| {
                let get = get.clone();
                let url = format!("{base}/v1/users/{}/history?limit=20", fastrand::u64(1..=USERS));
                async move { get.get(&url).await }
            })
            .await
        }
        "state" => {
            let urls: Arc<Vec<String>> = Arc::new(
                setup
                    .state
                    .iter()
                    .map(|(u, items)| format!("{base}/v1/users/{u}/state?items={}", join(items)))
                    .collect(),
            );
            let get = getter(Some(site));
            load(c, warmup, seconds, move |_| {
                let (get, urls) = (get.clone(), urls.clone());
                async move { get.get(&urls[fastrand::usize(..urls.len())]).await }
            })
            .await
        }
        HEALTHZ => {
            let (get, url) = (getter(None), Arc::new(format!("{base}/healthz")));
            load(c, warmup, seconds, move |_| {
                let (get, url) = (get.clone(), url.clone());
                async move { get.get(&url).await }
            })
            .await
        }
        other => return Err(format!("unknown workload {other}").into()),
    };
    Ok(figures)
}
