//! What every resource's answers share: the one list envelope
//! (`{items, next_cursor}`), paging parameters, a moment in RFC 3339, and a
//! token value shown once (`{key, token}`). A leaf: each resource's
//! `views` module builds on these.

use std::borrow::Cow;

use actix_web::HttpResponse;
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

pub use crate::domain::{At, at};
use crate::error::AppError;

/// Every list of the API: one page of `items`, and the cursor of the next
/// page (`null` on the last).
#[derive(Debug, Serialize)]
pub struct List<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> List<T> {
    /// A list that is always whole (a short, bounded collection).
    pub fn whole(items: Vec<T>) -> Self {
        Self { items, next_cursor: None }
    }

    /// One page of `items` (sorted by id) after the paging's cursor.
    pub fn page(mut items: Vec<(i64, T)>, paging: &Paging) -> Result<Self, AppError> {
        let (limit, after) = (paging.limit()?, paging.cursor()?);
        items.sort_by_key(|(id, _)| *id);
        let mut rest: Vec<(i64, T)> = items.into_iter().filter(|(id, _)| after.is_none_or(|a| *id > a)).collect();
        let next_cursor = cut(&mut rest, limit, |(id, _)| *id);
        Ok(Self { items: rest.into_iter().map(|(_, v)| v).collect(), next_cursor })
    }

    /// A page read with one row more than `limit`: that row, if there,
    /// says another page follows, whose cursor is the last kept row's id.
    pub fn from_probe<R>(mut rows: Vec<R>, limit: i64, id: impl Fn(&R) -> i64, view: impl FnMut(R) -> T) -> Self {
        let next_cursor = cut(&mut rows, limit, id);
        Self { items: rows.into_iter().map(view).collect(), next_cursor }
    }
}

impl<T: ToSchema> PartialSchema for List<T> {
    fn schema() -> RefOr<Schema> {
        let cursor = ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
            .description(Some("Send as `cursor` for the next page; null on the last page"));
        ObjectBuilder::new()
            .property("items", ArrayBuilder::new().items(RefOr::Ref(Ref::from_schema_name(T::name()))))
            .required("items")
            .property("next_cursor", cursor)
            .required("next_cursor")
            .into()
    }
}

impl<T: ToSchema> ToSchema for List<T> {
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("{}List", T::name()))
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((T::name().into_owned(), T::schema()));
        T::schemas(schemas);
    }
}

/// Keeps `limit` rows; the next cursor if there were more.
fn cut<R>(rows: &mut Vec<R>, limit: i64, id: impl Fn(&R) -> i64) -> Option<String> {
    let limit = usize::try_from(limit).unwrap_or(0);
    (rows.len() > limit).then(|| {
        rows.truncate(limit);
        rows.last().map(|r| id(r).to_string()).unwrap_or_default()
    })
}

/// `?cursor=&limit=` of a list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Paging {
    /// the next_cursor of the previous page
    pub cursor: Option<String>,
    /// 1 to 500 items (default 100)
    pub limit: Option<i64>,
}

impl Paging {
    /// 1 to 500, 100 when not given.
    pub fn limit(&self) -> Result<i64, AppError> {
        let limit = self.limit.unwrap_or(100);
        if !(1..=500).contains(&limit) {
            return Err(AppError::bad_request("limit must be from 1 to 500"));
        }
        Ok(limit)
    }

    /// The id a page continues from, as this API gave it.
    pub fn cursor(&self) -> Result<Option<i64>, AppError> {
        parse_cursor(self.cursor.as_deref())
    }
}

/// A cursor this API gave (an id), or none. An empty `cursor=` is not
/// one: the first page is asked for without it.
pub fn parse_cursor(cursor: Option<&str>) -> Result<Option<i64>, AppError> {
    match cursor {
        Some(c) => c.parse().map(Some).map_err(|_| AppError::bad_request("cursor is not one this API gave")),
        None => Ok(None),
    }
}

/// A token's value, shown once, with its key.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Secret {
    pub key: String,
    pub token: String,
}

impl Secret {
    pub fn new(key: String, token: &SecretString) -> Self {
        Self { key, token: token.expose_secret().to_owned() }
    }
}

/// 200 with a view.
pub fn ok<T: Serialize>(view: &T) -> HttpResponse {
    HttpResponse::Ok().json(view)
}

/// 201 with a view.
pub fn created<T: Serialize>(view: &T) -> HttpResponse {
    HttpResponse::Created().json(view)
}

/// 202 with a view.
pub fn accepted<T: Serialize>(view: &T) -> HttpResponse {
    HttpResponse::Accepted().json(view)
}

/// 204.
pub fn no_content() -> HttpResponse {
    HttpResponse::NoContent().finish()
}
