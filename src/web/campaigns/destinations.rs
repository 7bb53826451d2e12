//! `/campaigns/{id}/destinations`: where the campaign's events are
//! delivered, and each destination's page: its signing secret (shown once,
//! at creation and after Regenerate), Regenerate with an overlap,
//! Pause/Resume, Send test event, and the delivery log with Redeliver.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use time::Duration;

use super::header::{Header, require};
use crate::domain::WebhookEvent;
use crate::error::{AppError, FieldErrors};
use crate::services::campaigns::catalog::CampaignSnapshot;
use crate::services::delivery::destinations::{self, Attempt, DestinationInfo, NewDestinationInput, WebhookEventRow};
use crate::services::{Services, campaigns};
use crate::web::page::{SwitchForm, field_errors, redirect_with, refused, render_status};
use crate::web::session::{Console, Flash, Layout};

#[derive(Template)]
#[template(path = "campaigns/destinations.html")]
struct ListPage {
    layout: Layout,
    header: Header,
    snap: CampaignSnapshot,
    destinations: Vec<DestinationInfo>,
    choices: &'static [WebhookEvent],
    form: DestinationForm,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "campaigns/destination.html")]
struct DestinationPage {
    layout: Layout,
    header: Header,
    d: DestinationInfo,
    filter: Option<String>,
    /// A secret just made, shown this once: (key, secret, what became of the old one).
    secret: Option<(String, SecretString, Option<String>)>,
    rows: Vec<LogRow>,
}

impl DestinationPage {
    fn secret_value(&self) -> &str {
        self.secret.as_ref().map_or("", |(_, s, _)| s.expose_secret())
    }
}

/// One event of the delivery log, with its latest attempt.
struct LogRow {
    event: WebhookEventRow,
    last: Option<Attempt>,
    when: String,
    next: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct DestinationForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    filter_id: String,
}

async fn list_page(
    svc: &Services,
    console: Console,
    id: i64,
    status: StatusCode,
    form: DestinationForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let snap = campaigns::structure(svc, &actor, id).await?;
    let destinations = destinations::of_campaign(svc, &actor, id).await?;
    let (_, layout) = console.layout(format!("{} · Destinations", snap.campaign.name), "campaigns");
    let header = Header::of(&snap.campaign, "destinations");
    let page = ListPage { layout, header, snap, destinations, choices: WebhookEvent::SUBSCRIBABLE, form, errors };
    render_status(status, &page)
}

pub async fn list(svc: web::Data<Services>, console: Console, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    list_page(&svc, console, id.into_inner(), StatusCode::OK, DestinationForm::default(), FieldErrors::new()).await
}

async fn destination_page(
    svc: &Services,
    console: Console,
    (id, did): (i64, i64),
    status: StatusCode,
    secret: Option<(String, SecretString, Option<String>)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let snap = campaigns::structure(svc, &actor, id).await?;
    let d = destinations::get(svc, &actor, Some(id), did).await?;
    let (events, attempts) = destinations::log(svc, &actor, did, 50).await?;
    let rows = events
        .into_iter()
        .map(|event| LogRow {
            last: attempts.iter().find(|a| a.event_id == event.id).cloned(),
            when: crate::clock::display(event.created_at),
            next: (event.state == "pending").then(|| crate::clock::display(event.next_attempt_at)),
            event,
        })
        .collect();
    let filter = d.destination.filter_id.and_then(|f| snap.filter(f)).map(|f| f.filter.name.clone());
    let (_, layout) = console.layout(format!("{} · {}", snap.campaign.name, d.destination.name), "campaigns");
    let header = Header::of(&snap.campaign, "destinations");
    render_status(status, &DestinationPage { layout, header, d, filter, secret, rows })
}

pub async fn show(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    destination_page(&svc, console, path.into_inner(), StatusCode::OK, None).await
}

pub async fn create(
    svc: web::Data<Services>,
    console: Console,
    id: web::Path<i64>,
    web::Form(pairs): web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let id = id.into_inner();
    let field = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let form = DestinationForm { name: field("name"), url: field("url"), filter_id: field("filter_id") };
    let input = NewDestinationInput {
        name: form.name.clone(),
        url: form.url.clone(),
        events: pairs.iter().filter(|(k, _)| k == "events").map(|(_, v)| v.clone()).collect(),
        filter_id: form.filter_id.parse().ok(),
    };
    match destinations::create(&svc, actor, id, input).await {
        Ok((d, token)) => {
            let secret = Some((token.token.display_key(), token.secret, None));
            destination_page(&svc, console, (id, d.destination.id), StatusCode::CREATED, secret).await
        }
        Err(e) => list_page(&svc, console, id, StatusCode::UNPROCESSABLE_ENTITY, form, field_errors(e)?).await,
    }
}

#[derive(Deserialize)]
pub struct RegenerateForm {
    #[serde(default)]
    overlap_hours: String,
}

pub async fn regenerate(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
    web::Form(form): web::Form<RegenerateForm>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, did) = path.into_inner();
    let back = format!("/campaigns/{id}/destinations/{did}");
    let hours: i64 = match form.overlap_hours.trim() {
        "" => 0,
        h => match h.parse() {
            Ok(h) => h,
            Err(_) => {
                return refused(&svc, AppError::invalid("overlap_hours", "Enter a whole number of hours."), &back);
            }
        },
    };
    match destinations::regenerate(&svc, actor, did, Duration::hours(hours)).await {
        Ok(r) => {
            let old = match (r.old_key, r.old_valid_until) {
                (Some(k), Some(u)) => Some(format!("{k} keeps signing until {}.", crate::clock::display(u))),
                (Some(k), None) => Some(format!("{k} stopped signing now.")),
                _ => None,
            };
            let secret = Some((r.new.token.display_key(), r.new.secret, old));
            destination_page(&svc, console, (id, did), StatusCode::OK, secret).await
        }
        Err(e) => refused(&svc, e, &back),
    }
}

pub async fn set_active(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
    web::Form(form): web::Form<SwitchForm>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, did) = path.into_inner();
    let d = destinations::set_active(&svc, actor, did, form.on()).await?;
    let message = if d.active {
        "Resumed: queued events are delivered in order."
    } else {
        "Paused: events queue until you resume."
    };
    Ok(redirect_with(&svc, &format!("/campaigns/{id}/destinations/{did}"), Flash::success(message)))
}

pub async fn test(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, did) = path.into_inner();
    let event = destinations::send_test(&svc, actor, did).await?;
    Ok(redirect_with(
        &svc,
        &format!("/campaigns/{id}/destinations/{did}"),
        Flash::success(format!("Test event {event} queued: its delivery shows below in a moment.")),
    ))
}

pub async fn redeliver(
    svc: web::Data<Services>,
    console: Console,
    path: web::Path<(i64, i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, did, event) = path.into_inner();
    let back = format!("/campaigns/{id}/destinations/{did}");
    match destinations::redeliver(&svc, actor, did, event).await {
        Ok(()) => Ok(redirect_with(&svc, &back, Flash::success("Queued for delivery again."))),
        Err(e) => refused(&svc, e, &back),
    }
}
