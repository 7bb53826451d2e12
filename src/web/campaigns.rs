//! `/campaigns`: campaigns (list, create, edit, archive), their sources
//! with each source's Tokens tab, the campaign's Token Management, and the
//! campaign structure: fields, selects and options, statuses.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::confirm::ConfirmPage;
use super::levels::{LevelCard, Reveal, SOURCE_METHODS};
use super::{Console, Flash, Layout, checkbox, field_errors, redirect_with, render_status, see_other};
use crate::domain::Permission;
use crate::error::{AppError, FieldErrors};
use crate::models::{Campaign, FieldType, Lead, SourceKind};
use crate::services::catalog::CampaignSnapshot;
use crate::services::levels::{self, Level};
use crate::services::{Actor, campaigns};
use crate::state::AppState;

/// The campaign's name and tabs, above every campaign page.
pub struct Header {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub public_id: String,
    pub archived: bool,
    pub tab: &'static str,
}

impl Header {
    pub fn of(c: &Campaign, tab: &'static str) -> Self {
        Self {
            id: c.id,
            name: c.name.clone(),
            slug: c.slug.clone(),
            public_id: c.public_id.clone(),
            archived: c.archived_at.is_some(),
            tab,
        }
    }
}

fn require(console: &Console) -> Result<Actor, AppError> {
    console.user.require(Permission::ManageCampaigns)?;
    Ok(console.user.actor())
}

async fn snapshot(state: &AppState, id: i64) -> Result<CampaignSnapshot, AppError> {
    state.db(move |conn| CampaignSnapshot::load_id(conn, id)).await
}

// ------------------------------------------------------------------ list

#[derive(Template)]
#[template(path = "campaigns/list.html")]
struct ListPage {
    layout: Layout,
    campaigns: Vec<Campaign>,
    form: campaigns::NewCampaign,
    errors: FieldErrors,
}

async fn list_page(
    state: &AppState,
    console: Console,
    status: StatusCode,
    form: campaigns::NewCampaign,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    require(&console)?;
    let (_, layout) = console.layout("Campaigns", "campaigns");
    let campaigns = campaigns::list(state).await?;
    render_status(status, &ListPage { layout, campaigns, form, errors })
}

pub async fn list(state: web::Data<AppState>, console: Console) -> Result<HttpResponse, AppError> {
    list_page(&state, console, StatusCode::OK, campaigns::NewCampaign::default(), FieldErrors::new()).await
}

pub async fn create(
    state: web::Data<AppState>,
    console: Console,
    web::Form(form): web::Form<campaigns::NewCampaign>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    match campaigns::create_campaign(&state, actor, form.clone()).await {
        Ok(c) => Ok(redirect_with(
            &state,
            &format!("/campaigns/{}", c.id),
            Flash::success(format!("Campaign “{}” created.", c.name)),
        )),
        Err(e) => list_page(&state, console, StatusCode::UNPROCESSABLE_ENTITY, form, field_errors(e)?).await,
    }
}

// -------------------------------------------------------------- overview

#[derive(Template)]
#[template(path = "campaigns/show.html")]
struct ShowPage {
    layout: Layout,
    header: Header,
    name: String,
    description: String,
    errors: FieldErrors,
    sources: usize,
    fields: usize,
    leads: i64,
}

async fn show_page(
    state: &AppState,
    console: Console,
    id: i64,
    status: StatusCode,
    edit: Option<(String, String, FieldErrors)>,
) -> Result<HttpResponse, AppError> {
    require(&console)?;
    let snap = snapshot(state, id).await?;
    let leads = state.db(move |conn| Ok(Lead::count_of_campaign(conn, id)?)).await?;
    let (_, layout) = console.layout(snap.campaign.name.clone(), "campaigns");
    let (name, description, errors) =
        edit.unwrap_or_else(|| (snap.campaign.name.clone(), snap.campaign.description.clone(), FieldErrors::new()));
    render_status(
        status,
        &ShowPage {
            layout,
            header: Header::of(&snap.campaign, "overview"),
            name,
            description,
            errors,
            sources: snap.sources.len(),
            fields: snap.fields.len(),
            leads,
        },
    )
}

pub async fn show(state: web::Data<AppState>, console: Console, id: web::Path<i64>) -> Result<HttpResponse, AppError> {
    show_page(&state, console, id.into_inner(), StatusCode::OK, None).await
}

#[derive(Deserialize)]
pub struct DetailsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

pub async fn update(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<i64>,
    web::Form(form): web::Form<DetailsForm>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let id = id.into_inner();
    match campaigns::update_campaign(&state, actor, id, &form.name, &form.description).await {
        Ok(_) => Ok(redirect_with(&state, &format!("/campaigns/{id}"), Flash::success("Campaign saved."))),
        Err(e) => {
            let errors = field_errors(e)?;
            show_page(
                &state,
                console,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some((form.name, form.description, errors)),
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct SwitchForm {
    value: Option<String>,
}

pub async fn archive(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<i64>,
    web::Form(form): web::Form<SwitchForm>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let id = id.into_inner();
    let c = campaigns::set_archived(&state, actor, id, checkbox(&form.value)).await?;
    let message = if c.archived_at.is_some() {
        format!("“{}” is archived: lead submissions to it are refused; its data stays.", c.name)
    } else {
        format!("“{}” is active again.", c.name)
    };
    Ok(redirect_with(&state, &format!("/campaigns/{id}"), Flash::success(message)))
}

// -------------------------------------------------------- token levels

#[derive(Template)]
#[template(path = "campaigns/tokens.html")]
struct LevelsPage {
    layout: Layout,
    header: Header,
    heading: String,
    intro: String,
    cards: Vec<LevelCard>,
    banner: Option<String>,
    source: Option<SourceEdit>,
}

/// The source details form on its Tokens tab.
pub struct SourceEdit {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub kind: SourceKind,
    pub kinds: &'static [SourceKind],
    pub errors: FieldErrors,
}

pub async fn token_page(
    state: &AppState,
    console: Console,
    id: i64,
    reveal: Option<Reveal>,
) -> Result<HttpResponse, AppError> {
    require(&console)?;
    let snap = snapshot(state, id).await?;
    let level = levels::state_of(state, Level::Campaign(id)).await?;
    let mut card = LevelCard::new(
        &level,
        "campaign",
        "Campaign Token Authentication",
        "When on, only requests carrying this campaign's token are accepted for its sources (unless a source token is on for the method). Give it to the traffic source sending leads to this campaign.",
        format!("/campaigns/{id}/settings/tokens"),
        state.now(),
    );
    let mut banner = None;
    if let Some(r) = reveal {
        card = card.reveal(&r.secret);
        banner = r.message;
    }
    let (_, layout) = console.layout(format!("{} · Token Management", snap.campaign.name), "campaigns");
    render_status(
        StatusCode::OK,
        &LevelsPage {
            layout,
            header: Header::of(&snap.campaign, "tokens"),
            heading: "Settings › Token Management".into(),
            intro: "The campaign level of lead authentication: checked when the source has no token on for the method."
                .into(),
            cards: vec![card],
            banner,
            source: None,
        },
    )
}

pub async fn tokens(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    token_page(&state, console, id.into_inner(), None).await
}

pub async fn source_tokens_page(
    state: &AppState,
    console: Console,
    id: i64,
    source_id: i64,
    reveal: Option<Reveal>,
) -> Result<HttpResponse, AppError> {
    source_page(state, console, id, source_id, reveal, StatusCode::OK, None).await
}

async fn source_page(
    state: &AppState,
    console: Console,
    id: i64,
    source_id: i64,
    reveal: Option<Reveal>,
    status: StatusCode,
    edit: Option<(String, String, FieldErrors)>,
) -> Result<HttpResponse, AppError> {
    require(&console)?;
    let snap = snapshot(state, id).await?;
    let source = snap.source(source_id).cloned().ok_or(AppError::NotFound)?;
    let now = state.now();
    let mut cards = Vec::new();
    let mut banner = None;
    let mut reveal = reveal;
    for (kind, method, title, help) in SOURCE_METHODS {
        let level = Level::Source { campaign_id: id, source_id, kind };
        let st = levels::state_of(state, level).await?;
        let mut card = LevelCard::new(
            &st,
            method,
            title,
            help,
            format!("/campaigns/{id}/sources/{source_id}/tokens/{method}"),
            now,
        );
        if let Some(r) = reveal.take_if(|r| r.level == level) {
            card = card.reveal(&r.secret);
            banner = r.message;
        }
        cards.push(card);
    }
    let (name, kind_value, errors) =
        edit.unwrap_or_else(|| (source.name.clone(), source.kind.as_str().to_owned(), FieldErrors::new()));
    let (_, layout) = console.layout(format!("{} · {}", snap.campaign.name, source.name), "campaigns");
    render_status(
        status,
        &LevelsPage {
            layout,
            header: Header::of(&snap.campaign, "sources"),
            heading: format!("{} ({}) › Tokens", source.name, source.kind.label()),
            intro: format!(
                "Source tokens are the most specific level: when one is on for a method, requests to `/api/v1/campaigns/{}/sources/{}/{{method}}` must carry exactly that token.",
                snap.campaign.slug, source.slug
            ),
            cards,
            banner,
            source: Some(SourceEdit {
                id: source.id,
                name,
                slug: source.slug.clone(),
                kind: kind_value.parse().unwrap_or(source.kind),
                kinds: SourceKind::ALL,
                errors,
            }),
        },
    )
}

pub async fn source_tokens(
    state: web::Data<AppState>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, sid) = path.into_inner();
    source_tokens_page(&state, console, id, sid, None).await
}

#[derive(Deserialize)]
pub struct SourceForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
}

pub async fn update_source(
    state: web::Data<AppState>,
    console: Console,
    path: web::Path<(i64, i64)>,
    web::Form(form): web::Form<SourceForm>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, sid) = path.into_inner();
    match campaigns::update_source(&state, actor, id, sid, &form.name, &form.kind).await {
        Ok(_) => {
            Ok(redirect_with(&state, &format!("/campaigns/{id}/sources/{sid}/tokens"), Flash::success("Source saved.")))
        }
        Err(e) => {
            let errors = field_errors(e)?;
            source_page(
                &state,
                console,
                id,
                sid,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some((form.name, form.kind, errors)),
            )
            .await
        }
    }
}

// --------------------------------------------------------------- sources

#[derive(Template)]
#[template(path = "campaigns/sources.html")]
struct SourcesPage {
    layout: Layout,
    header: Header,
    snap: CampaignSnapshot,
    kinds: &'static [SourceKind],
    form: campaigns::NewSource,
    errors: FieldErrors,
}

async fn sources_page(
    state: &AppState,
    console: Console,
    id: i64,
    status: StatusCode,
    form: campaigns::NewSource,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    require(&console)?;
    let snap = snapshot(state, id).await?;
    let (_, layout) = console.layout(format!("{} · Sources", snap.campaign.name), "campaigns");
    render_status(
        status,
        &SourcesPage {
            layout,
            header: Header::of(&snap.campaign, "sources"),
            snap,
            kinds: SourceKind::ALL,
            form,
            errors,
        },
    )
}

pub async fn sources(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let form = campaigns::NewSource { kind: "CS".into(), ..Default::default() };
    sources_page(&state, console, id.into_inner(), StatusCode::OK, form, FieldErrors::new()).await
}

pub async fn create_source(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<i64>,
    web::Form(form): web::Form<campaigns::NewSource>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let id = id.into_inner();
    match campaigns::create_source(&state, actor, id, form.clone()).await {
        Ok(s) => Ok(redirect_with(
            &state,
            &format!("/campaigns/{id}/sources/{}/tokens", s.id),
            Flash::success(format!("Source “{}” created. Turn on the tokens it should use.", s.name)),
        )),
        Err(e) => sources_page(&state, console, id, StatusCode::UNPROCESSABLE_ENTITY, form, field_errors(e)?).await,
    }
}

// ---------------------------------------------------------------- fields

#[derive(Template)]
#[template(path = "campaigns/fields.html")]
struct FieldsPage {
    layout: Layout,
    header: Header,
    snap: CampaignSnapshot,
    types: &'static [FieldType],
    form: FieldForm,
    errors: FieldErrors,
}

#[derive(Deserialize, Default, Clone)]
pub struct FieldForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    label: String,
    #[serde(default, rename = "type")]
    field_type: String,
    required: Option<String>,
}

async fn fields_page(
    state: &AppState,
    console: Console,
    id: i64,
    status: StatusCode,
    form: FieldForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    require(&console)?;
    let snap = snapshot(state, id).await?;
    let (_, layout) = console.layout(format!("{} · Fields", snap.campaign.name), "campaigns");
    render_status(
        status,
        &FieldsPage { layout, header: Header::of(&snap.campaign, "fields"), snap, types: FieldType::ALL, form, errors },
    )
}

pub async fn fields(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let form = FieldForm { field_type: "text".into(), ..Default::default() };
    fields_page(&state, console, id.into_inner(), StatusCode::OK, form, FieldErrors::new()).await
}

pub async fn create_field(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<i64>,
    web::Form(form): web::Form<FieldForm>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let id = id.into_inner();
    let input = campaigns::NewField {
        slug: form.slug.clone(),
        label: form.label.clone(),
        field_type: form.field_type.clone(),
        required: checkbox(&form.required),
    };
    match campaigns::create_field(&state, actor, id, input).await {
        Ok(f) => Ok(redirect_with(
            &state,
            &format!("/campaigns/{id}/fields"),
            Flash::success(format!("Field `{}` added.", f.slug)),
        )),
        Err(e) => fields_page(&state, console, id, StatusCode::UNPROCESSABLE_ENTITY, form, field_errors(e)?).await,
    }
}

#[derive(Deserialize)]
pub struct FieldUpdateForm {
    #[serde(default)]
    label: String,
    required: Option<String>,
}

pub async fn update_field(
    state: web::Data<AppState>,
    console: Console,
    path: web::Path<(i64, i64)>,
    web::Form(form): web::Form<FieldUpdateForm>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, fid) = path.into_inner();
    match campaigns::update_field(&state, actor, id, fid, &form.label, checkbox(&form.required)).await {
        Ok(()) => Ok(redirect_with(&state, &format!("/campaigns/{id}/fields"), Flash::success("Field saved."))),
        Err(AppError::Validation(errors)) => {
            let message = errors.values().cloned().collect::<Vec<_>>().join(" ");
            Ok(redirect_with(&state, &format!("/campaigns/{id}/fields"), Flash::error(message)))
        }
        Err(e) => Err(e),
    }
}

pub async fn confirm_delete_field(
    state: web::Data<AppState>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    require(&console)?;
    let (id, fid) = path.into_inner();
    let snap = snapshot(&state, id).await?;
    let field = snap.fields.iter().find(|f| f.id == fid).ok_or(AppError::NotFound)?;
    confirm(
        console,
        format!("Delete the field `{}`", field.slug),
        "Lead submissions will no longer accept it. Leads that have a value keep it.".into(),
        format!("/campaigns/{id}/fields/{fid}/delete"),
        format!("/campaigns/{id}/fields"),
    )
}

pub async fn delete_field(
    state: web::Data<AppState>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, fid) = path.into_inner();
    campaigns::delete_field(&state, actor, id, fid).await?;
    Ok(redirect_with(&state, &format!("/campaigns/{id}/fields"), Flash::success("Field deleted.")))
}

fn confirm(
    console: Console,
    heading: String,
    message: String,
    action: String,
    cancel: String,
) -> Result<HttpResponse, AppError> {
    let (_, layout) = console.layout(heading.clone(), "campaigns");
    ConfirmPage {
        layout,
        heading,
        message,
        warning: Some("This cannot be undone.".into()),
        action,
        button: "Delete".into(),
        cancel,
        reason: false,
    }
    .render()
}

// --------------------------------------------------------------- selects

#[derive(Template)]
#[template(path = "campaigns/selects.html")]
struct SelectsPage {
    layout: Layout,
    header: Header,
    snap: CampaignSnapshot,
    form: SelectForm,
    errors: FieldErrors,
    /// The select whose add-option form failed, with what was typed.
    option_form: Option<(i64, OptionForm)>,
}

#[derive(Deserialize, Default, Clone)]
pub struct SelectForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    label: String,
    /// One option per line: `SLUG` or `SLUG | Label`.
    #[serde(default)]
    options: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct OptionForm {
    #[serde(default)]
    option_slug: String,
    #[serde(default)]
    option_label: String,
}

impl SelectsPage {
    fn option_value(&self, select_id: &i64, slug: bool) -> &str {
        match &self.option_form {
            Some((id, f)) if id == select_id => {
                if slug {
                    &f.option_slug
                } else {
                    &f.option_label
                }
            }
            _ => "",
        }
    }

    fn option_error(&self, select_id: &i64) -> Option<String> {
        match &self.option_form {
            Some((id, _)) if id == select_id => {
                Some(self.errors.values().cloned().collect::<Vec<_>>().join(" ")).filter(|s| !s.is_empty())
            }
            _ => None,
        }
    }
}

async fn selects_page(
    state: &AppState,
    console: Console,
    id: i64,
    status: StatusCode,
    form: SelectForm,
    errors: FieldErrors,
    option_form: Option<(i64, OptionForm)>,
) -> Result<HttpResponse, AppError> {
    require(&console)?;
    let snap = snapshot(state, id).await?;
    let (_, layout) = console.layout(format!("{} · Selects", snap.campaign.name), "campaigns");
    render_status(
        status,
        &SelectsPage { layout, header: Header::of(&snap.campaign, "selects"), snap, form, errors, option_form },
    )
}

pub async fn selects(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    selects_page(&state, console, id.into_inner(), StatusCode::OK, SelectForm::default(), FieldErrors::new(), None)
        .await
}

fn parse_options(text: &str) -> Vec<campaigns::NewOption> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| match line.split_once('|') {
            Some((slug, label)) => {
                campaigns::NewOption { slug: slug.trim().to_owned(), label: label.trim().to_owned() }
            }
            None => campaigns::NewOption { slug: line.to_owned(), label: line.to_owned() },
        })
        .collect()
}

pub async fn create_select(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<i64>,
    web::Form(form): web::Form<SelectForm>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let id = id.into_inner();
    let input = campaigns::NewSelect {
        slug: form.slug.clone(),
        label: form.label.clone(),
        options: parse_options(&form.options),
    };
    match campaigns::create_select(&state, actor, id, input).await {
        Ok(s) => Ok(redirect_with(
            &state,
            &format!("/campaigns/{id}/selects"),
            Flash::success(format!("Select `{}` added.", s.slug)),
        )),
        Err(e) => {
            selects_page(&state, console, id, StatusCode::UNPROCESSABLE_ENTITY, form, field_errors(e)?, None).await
        }
    }
}

pub async fn add_option(
    state: web::Data<AppState>,
    console: Console,
    path: web::Path<(i64, i64)>,
    web::Form(form): web::Form<OptionForm>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, sel) = path.into_inner();
    let input = campaigns::NewOption { slug: form.option_slug.clone(), label: form.option_label.clone() };
    match campaigns::add_option(&state, actor, id, sel, input).await {
        Ok(o) => Ok(redirect_with(
            &state,
            &format!("/campaigns/{id}/selects#select-{sel}"),
            Flash::success(format!("Option `{}` added.", o.slug)),
        )),
        Err(e) => {
            let errors = field_errors(e)?;
            selects_page(
                &state,
                console,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                SelectForm::default(),
                errors,
                Some((sel, form)),
            )
            .await
        }
    }
}

pub async fn confirm_delete_option(
    state: web::Data<AppState>,
    console: Console,
    path: web::Path<(i64, i64, i64)>,
) -> Result<HttpResponse, AppError> {
    require(&console)?;
    let (id, sel, oid) = path.into_inner();
    let snap = snapshot(&state, id).await?;
    let select = snap.selects.iter().find(|s| s.select.id == sel).ok_or(AppError::NotFound)?;
    let option = select.options.iter().find(|o| o.id == oid).ok_or(AppError::NotFound)?;
    confirm(
        console,
        format!("Delete the option `{}` of `{}`", option.slug, select.select.slug),
        "Lead submissions will no longer accept it.".into(),
        format!("/campaigns/{id}/selects/{sel}/options/{oid}/delete"),
        format!("/campaigns/{id}/selects"),
    )
}

pub async fn delete_option(
    state: web::Data<AppState>,
    console: Console,
    path: web::Path<(i64, i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, sel, oid) = path.into_inner();
    match campaigns::delete_option(&state, actor, id, sel, oid).await {
        Ok(()) => Ok(redirect_with(&state, &format!("/campaigns/{id}/selects"), Flash::success("Option deleted."))),
        Err(AppError::Conflict(m)) => Ok(redirect_with(&state, &format!("/campaigns/{id}/selects"), Flash::error(m))),
        Err(e) => Err(e),
    }
}

pub async fn confirm_delete_select(
    state: web::Data<AppState>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    require(&console)?;
    let (id, sel) = path.into_inner();
    let snap = snapshot(&state, id).await?;
    let select = snap.selects.iter().find(|s| s.select.id == sel).ok_or(AppError::NotFound)?;
    confirm(
        console,
        format!("Delete the select `{}`", select.select.slug),
        "The select and its options are deleted; lead submissions will no longer accept it.".into(),
        format!("/campaigns/{id}/selects/{sel}/delete"),
        format!("/campaigns/{id}/selects"),
    )
}

pub async fn delete_select(
    state: web::Data<AppState>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, sel) = path.into_inner();
    match campaigns::delete_select(&state, actor, id, sel).await {
        Ok(()) => Ok(redirect_with(&state, &format!("/campaigns/{id}/selects"), Flash::success("Select deleted."))),
        Err(AppError::Conflict(m)) => Ok(redirect_with(&state, &format!("/campaigns/{id}/selects"), Flash::error(m))),
        Err(e) => Err(e),
    }
}

// -------------------------------------------------------------- statuses

#[derive(Template)]
#[template(path = "campaigns/statuses.html")]
struct StatusesPage {
    layout: Layout,
    header: Header,
    snap: CampaignSnapshot,
    form: StatusForm,
    errors: FieldErrors,
}

#[derive(Deserialize, Default, Clone)]
pub struct StatusForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    label: String,
    default: Option<String>,
}

async fn statuses_page(
    state: &AppState,
    console: Console,
    id: i64,
    status: StatusCode,
    form: StatusForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    require(&console)?;
    let snap = snapshot(state, id).await?;
    let (_, layout) = console.layout(format!("{} · Statuses", snap.campaign.name), "campaigns");
    render_status(status, &StatusesPage { layout, header: Header::of(&snap.campaign, "statuses"), snap, form, errors })
}

pub async fn statuses(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    statuses_page(&state, console, id.into_inner(), StatusCode::OK, StatusForm::default(), FieldErrors::new()).await
}

pub async fn create_status(
    state: web::Data<AppState>,
    console: Console,
    id: web::Path<i64>,
    web::Form(form): web::Form<StatusForm>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let id = id.into_inner();
    let input =
        campaigns::NewStatus { slug: form.slug.clone(), label: form.label.clone(), default: checkbox(&form.default) };
    match campaigns::create_status(&state, actor, id, input).await {
        Ok(s) => Ok(redirect_with(
            &state,
            &format!("/campaigns/{id}/statuses"),
            Flash::success(format!("Status `{}` added.", s.slug)),
        )),
        Err(e) => statuses_page(&state, console, id, StatusCode::UNPROCESSABLE_ENTITY, form, field_errors(e)?).await,
    }
}

pub async fn default_status(
    state: web::Data<AppState>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, sid) = path.into_inner();
    campaigns::set_default_status(&state, actor, id, sid).await?;
    Ok(redirect_with(&state, &format!("/campaigns/{id}/statuses"), Flash::success("Default status changed.")))
}

pub async fn confirm_delete_status(
    state: web::Data<AppState>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    require(&console)?;
    let (id, sid) = path.into_inner();
    let snap = snapshot(&state, id).await?;
    let status = snap.statuses.iter().find(|s| s.id == sid).ok_or(AppError::NotFound)?;
    confirm(
        console,
        format!("Delete the status `{}`", status.slug),
        "Leads can no longer be given this status.".into(),
        format!("/campaigns/{id}/statuses/{sid}/delete"),
        format!("/campaigns/{id}/statuses"),
    )
}

pub async fn delete_status(
    state: web::Data<AppState>,
    console: Console,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let actor = require(&console)?;
    let (id, sid) = path.into_inner();
    match campaigns::delete_status(&state, actor, id, sid).await {
        Ok(()) => Ok(redirect_with(&state, &format!("/campaigns/{id}/statuses"), Flash::success("Status deleted."))),
        Err(AppError::Conflict(m)) => Ok(redirect_with(&state, &format!("/campaigns/{id}/statuses"), Flash::error(m))),
        Err(e) => Err(e),
    }
}

/// `/campaigns/{id}/sources/{sid}`: the source's page is its Tokens tab.
pub async fn source(path: web::Path<(i64, i64)>) -> HttpResponse {
    let (id, sid) = path.into_inner();
    see_other(&format!("/campaigns/{id}/sources/{sid}/tokens"))
}
