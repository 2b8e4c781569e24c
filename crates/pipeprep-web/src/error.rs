//! The one error type of the server. It becomes `{"error": "…"}` with 400, 404, 409 or 500; an
//! internal failure is logged on the server's standard error with its details and answered
//! with a sentence that names no file, query or library.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// Already a sentence for the user; the details went to the log.
    #[error("{0}")]
    Internal(String),
}

pub const INTERNAL: &str =
    "something went wrong on the server — the details are in the terminal running `pipeprep serve`";

impl ApiError {
    /// Logs `detail` and answers with a sentence that leaks none of it.
    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        eprintln!("pipeprep serve: error: {detail}");
        ApiError::Internal(INTERNAL.into())
    }

    /// Bad input the app recognised (an unknown scenario, a finished session) keeps its
    /// message, which is written for the user; anything else is internal.
    pub fn from_anyhow(e: anyhow::Error) -> ApiError {
        if let Some(b) = e.downcast_ref::<pipeprep_app::BadInput>() {
            return ApiError::BadRequest(b.0.clone());
        }
        ApiError::internal(format!("{e:#}"))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status(),
            Json(serde_json::json!({ "error": self.to_string() })),
        )
            .into_response()
    }
}
