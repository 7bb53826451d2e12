//! Lead files through the campaign API: upload as a raw body
//! (`Content-Type` and `?name=`) or as the multipart field `file`; list;
//! download (streamed, `ETag`, ranges); delete.

use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt as _;
use serde::Deserialize;

use super::views::FileView;
use crate::api::auth::Bearer;
use crate::api::view::{List, created, no_content, ok};
use crate::error::{ApiError, AppError};
use crate::http::{Download, download as answer_download};
use crate::services::Services;
use crate::services::leads::files::{self, Spool};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UploadParams {
    /// the file's name, for a raw body
    #[param(example = "contract.pdf")]
    name: Option<String>,
}

fn unreadable(e: impl std::fmt::Display) -> AppError {
    AppError::bad_request(format!("the upload could not be read: {e}"))
}

/// `POST …/leads/{id}/files`: Write. The token and the lead are checked
/// before the body is read; the body streams to disk, never into memory.
pub async fn upload(
    req: HttpRequest,
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, i64)>,
    params: web::Query<UploadParams>,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (campaign, lead_id) = path.into_inner();
    let scope = files::through_token(&svc, &bearer.principal, &campaign, lead_id).await?;
    let declared_length = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared_length.is_some_and(|n| n > svc.settings.max_file_bytes) {
        return Err(AppError::PayloadTooLarge { limit: usize::try_from(svc.settings.max_file_bytes).ok() }.into());
    }
    let content_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let mut spool = Spool::new(&svc, &scope).await?;
    let (name, declared) = if content_type.starts_with("multipart/form-data") {
        let mut parts = actix_multipart::Multipart::new(req.headers(), payload);
        let mut found = None;
        while let Some(part) = parts.next().await {
            let mut part = part.map_err(unreadable)?;
            if part.name() != Some("file") {
                // Another field: read past it.
                while let Some(chunk) = part.next().await {
                    chunk.map_err(unreadable)?;
                }
                continue;
            }
            if found.is_some() {
                return Err(AppError::invalid("file", "send one file per request").into());
            }
            let name = part.content_disposition().and_then(|d| d.get_filename()).map(str::to_owned);
            let declared = part.content_type().map(|m| m.essence_str().to_owned());
            while let Some(chunk) = part.next().await {
                spool.write(&chunk.map_err(unreadable)?).await?;
            }
            found = Some((name.or_else(|| params.name.clone()).unwrap_or_default(), declared));
        }
        found.ok_or_else(|| AppError::invalid("file", "the multipart body has no field named `file`"))?
    } else {
        while let Some(chunk) = payload.next().await {
            spool.write(&chunk.map_err(unreadable)?).await?;
        }
        (params.name.clone().unwrap_or_default(), Some(content_type).filter(|c| !c.is_empty()))
    };
    let file = files::store(&svc, &scope, spool, &name, declared.as_deref()).await?;
    Ok(created(&FileView::from(&file)))
}

/// `GET …/leads/{id}/files`: Read.
pub async fn list(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (campaign, lead_id) = path.into_inner();
    let scope = files::through_token(&svc, &bearer.principal, &campaign, lead_id).await?;
    let list = files::list(&svc, &scope).await?;
    Ok(ok(&List::whole(list.iter().map(FileView::from).collect())))
}

/// `GET …/leads/{id}/files/{file_id}`: Read; the bytes, streamed.
pub async fn download(
    req: HttpRequest,
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (campaign, lead_id, file_id) = path.into_inner();
    let scope = files::through_token(&svc, &bearer.principal, &campaign, lead_id).await?;
    let file = files::find(&svc, &scope, file_id).await?;
    let etag = file.etag();
    let meta = Download { name: &file.name, content_type: &file.content_type, size: file.size, etag: &etag };
    Ok(answer_download(&req, &meta, |first, last| files::bytes(&svc, &file, first, last)))
}

/// `DELETE …/leads/{id}/files/{file_id}`: Write.
pub async fn delete(
    svc: web::Data<Services>,
    bearer: Bearer,
    path: web::Path<(String, i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (campaign, lead_id, file_id) = path.into_inner();
    let scope = files::through_token(&svc, &bearer.principal, &campaign, lead_id).await?;
    files::delete(&svc, &scope, file_id).await?;
    Ok(no_content())
}
