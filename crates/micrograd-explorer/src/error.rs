//! Errors as the API answers them: a 4xx status and a JSON body `{"error": "..."}`, with the
//! place (`line`, `column`, `line_text`, `caret`) when the error is in a program or a file;
//! and [`JsonBody`], the request-body extractor that answers bad JSON the same way.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value as Json, json};

use crate::limits::MAX_BODY_BYTES;

/// An error answer: the status and the JSON body.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status (4xx for the client's mistakes, 500 for ours).
    pub status: StatusCode,
    /// The body: `error` (the message) and any other fields.
    pub body: Map<String, Json>,
}

impl ApiError {
    /// An error with this status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        let mut body = Map::new();
        body.insert("error".into(), Json::String(message.into()));
        ApiError { status, body }
    }

    /// 400: the request is malformed or its values are out of range.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    /// 404: no such run or resource.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    /// 413: the request or a part of it is larger than a limit.
    pub fn too_large(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, message)
    }

    /// 422: well-formed, but it cannot be done (a program with a syntax error, bad CSV data).
    pub fn unprocessable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    /// 500: a failure on the server's side (a panic in a worker, say).
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// Adds a field to the body.
    pub fn with(mut self, key: &str, value: impl Into<Json>) -> ApiError {
        self.body.insert(key.into(), value.into());
        self
    }

    /// The message.
    pub fn message(&self) -> &str {
        self.body
            .get("error")
            .and_then(Json::as_str)
            .unwrap_or_default()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(Json::Object(self.body))).into_response()
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status, self.message())
    }
}

/// A JSON request body of type `T`, read up to [`MAX_BODY_BYTES`]. Errors are [`ApiError`]s:
/// 413 for a larger body, 415 for a body that is not `application/json`, 400 for JSON that
/// does not parse or does not fit `T` (the message says which field and where).
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().starts_with("application/json"));
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "the request body must be JSON (Content-Type: application/json)",
            ));
        }
        let bytes: Bytes = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| {
                ApiError::too_large(format!(
                    "the request is larger than {} KiB",
                    MAX_BODY_BYTES / 1024
                ))
            })?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::bad_request(format!("bad request body: {e}")))
    }
}

/// The JSON for a number that may not be finite: the number, or `null`.
pub fn num(x: f64) -> Json {
    if x.is_finite() { json!(x) } else { Json::Null }
}
