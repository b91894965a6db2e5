//! # orderflow-dashboard — the live web dashboard
//!
//! The single-page dashboard that `orderflow serve|demo` shows at `/`: nine pages (overview,
//! institutional features, signal aggregator, regime analyzer, forecasting studio, feature
//! explorer, cross-exchange, streaming monitor, settings) and a live order book / trades view.
//! The page is static; its data comes from the server's JSON routes and one live stream
//! (`GET /live`, server-sent events), read with `fetch` so a bearer token travels in the
//! `Authorization` header, never in a URL.
//!
//! The assets are embedded in the binary at build time (nothing is fetched from a CDN: the
//! machine may be offline), gzip-compressed once by `build.rs`; [`routes`] serves them at `/` and
//! `/assets/{name}`, compressed when the browser accepts gzip (every browser does).

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::io::Read;

/// The ECharts version embedded (the npm package `scripts/setup.sh` installs).
pub const ECHARTS_VERSION: &str = env!("ORDERFLOW_ECHARTS_VERSION");

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// Name under `/assets/` (the page itself is `index.html`, served at `/`).
    pub name: &'static str,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// The gzip-compressed bytes.
    pub gzip: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $ctype:literal) => {
        Asset {
            name: $name,
            content_type: $ctype,
            gzip: include_bytes!(concat!(env!("OUT_DIR"), "/", $name, ".gz")),
        }
    };
}

/// Every embedded file.
pub static ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("app.js", "text/javascript; charset=utf-8"),
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("echarts.min.js", "text/javascript; charset=utf-8"),
];

/// The Content-Security-Policy of the page: only its own scripts and connections (ECharts sets
/// inline styles on the elements it draws).
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                       img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; \
                       base-uri 'none'; form-action 'none'";

/// The asset called `name`.
pub fn asset(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// The uncompressed bytes of an asset.
///
/// # Errors
/// A corrupt embedded stream (cannot happen with what `build.rs` wrote).
pub fn decompressed(a: &Asset) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(a.gzip).read_to_end(&mut out)?;
    Ok(out)
}

/// Whether `Accept-Encoding` allows gzip (`gzip` or `*`, not with `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or_default();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

fn serve(a: &Asset, headers: &HeaderMap) -> Response {
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(a.content_type),
    );
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // The page changes with the binary only; revalidation is cheap on loopback.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if a.name == "index.html" {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if accepts_gzip(headers) {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        return (h, a.gzip).into_response();
    }
    match decompressed(a) {
        Ok(body) => (h, body).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("embedded asset {}: {e}", a.name),
        )
            .into_response(),
    }
}

async fn index(headers: HeaderMap) -> Response {
    match asset("index.html") {
        Some(a) => serve(a, &headers),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn file(Path(name): Path<String>, headers: HeaderMap) -> Response {
    match asset(&name).filter(|a| a.name != "index.html") {
        Some(a) => serve(a, &headers),
        None => (
            StatusCode::NOT_FOUND,
            format!("no dashboard asset {name:?}"),
        )
            .into_response(),
    }
}

/// `GET /` (the page) and `GET /assets/{name}`, for any router state.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(index))
        .route("/assets/{name}", get(file))
}

/// Whether a request path is one of the dashboard's static files, which hold no data and are
/// served without the bearer token (the page asks for it and sends it with its data requests).
pub fn is_public_path(path: &str) -> bool {
    path == "/"
        || path
            .strip_prefix("/assets/")
            .is_some_and(|n| asset(n).is_some())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn get(path: &str, gzip: bool) -> (StatusCode, HeaderMap, Vec<u8>) {
        let mut req = Request::get(path);
        if gzip {
            req = req.header(header::ACCEPT_ENCODING, "gzip, deflate, br");
        }
        let r = routes::<()>()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let (parts, body) = r.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes().to_vec();
        (parts.status, parts.headers, bytes)
    }

    #[tokio::test]
    async fn the_page_and_its_assets_are_served_compressed_or_plain() {
        let (status, h, plain) = get("/", false).await;
        assert_eq!(status, StatusCode::OK);
        assert!(h.get(header::CONTENT_ENCODING).is_none());
        let html = String::from_utf8(plain).unwrap();
        // The page loads only embedded scripts, no CDN.
        assert!(html.contains("/assets/echarts.min.js") && html.contains("/assets/app.js"));
        assert!(!html.contains("https://") && !html.contains("http://"));
        assert!(
            h[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("script-src 'self'")
        );
        let (status, h, gz) = get("/assets/echarts.min.js", true).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(h[header::CONTENT_ENCODING], "gzip");
        let mut js = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut js)
            .unwrap();
        assert!(
            js.len() > gz.len() * 2,
            "compressed {} → {}",
            js.len(),
            gz.len()
        );
        assert!(String::from_utf8_lossy(&js).contains(ECHARTS_VERSION));
    }

    #[tokio::test]
    async fn unknown_assets_are_404_and_only_assets_are_public() {
        assert_eq!(get("/assets/nope.js", true).await.0, StatusCode::NOT_FOUND);
        assert_eq!(
            get("/assets/index.html", true).await.0,
            StatusCode::NOT_FOUND
        );
        assert!(is_public_path("/") && is_public_path("/assets/app.js"));
        assert!(!is_public_path("/assets/nope.js") && !is_public_path("/live"));
        assert!(!is_public_path("/features/BTCUSDT"));
    }

    #[test]
    fn gzip_negotiation_honours_q_zero() {
        let mut h = HeaderMap::new();
        assert!(!accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("br;q=1, gzip;q=0"),
        );
        assert!(!accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("GZIP;q=0.5"),
        );
        assert!(accepts_gzip(&h));
    }
}
