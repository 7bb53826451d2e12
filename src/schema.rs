// @generated automatically by Diesel CLI.

diesel::table! {
    account_links (id) {
        id -> Int8,
        user_id -> Int8,
        purpose -> Text,
        digest -> Bytea,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Int8,
        at -> Timestamptz,
        actor_id -> Nullable<Int8>,
        actor -> Text,
        action -> Text,
        target -> Text,
        ip -> Nullable<Text>,
        details -> Jsonb,
    }
}

diesel::table! {
    campaigns (id) {
        id -> Int8,
        public_id -> Text,
        slug -> Text,
        name -> Text,
        description -> Text,
        token_enabled -> Bool,
        archived_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        file_types -> Array<Nullable<Text>>,
    }
}

diesel::table! {
    destinations (id) {
        id -> Int8,
        campaign_id -> Int8,
        filter_id -> Nullable<Int8>,
        name -> Text,
        url -> Text,
        events -> Array<Nullable<Text>>,
        active -> Bool,
        paused_reason -> Nullable<Text>,
        owner_id -> Int8,
        failing_since -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    fields (id) {
        id -> Int8,
        campaign_id -> Int8,
        slug -> Text,
        label -> Text,
        field_type -> Text,
        required -> Bool,
        position -> Int4,
        public -> Bool,
    }
}

diesel::table! {
    filter_conditions (id) {
        id -> Int8,
        filter_id -> Int8,
        select_id -> Int8,
        option_id -> Int8,
    }
}

diesel::table! {
    filters (id) {
        id -> Int8,
        campaign_id -> Int8,
        name -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    idempotency_keys (id) {
        id -> Int8,
        scope -> Text,
        key -> Text,
        request_hash -> Bytea,
        status -> Int2,
        response -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    imports (id) {
        id -> Int8,
        campaign_id -> Int8,
        token_id -> Nullable<Int8>,
        token_key -> Text,
        user_id -> Nullable<Int8>,
        user_label -> Text,
        format -> Text,
        mode -> Text,
        upsert_field -> Nullable<Text>,
        state -> Text,
        bytes -> Int8,
        rows_read -> Int8,
        imported -> Int8,
        updated -> Int8,
        rejected -> Int8,
        errors -> Jsonb,
        failure -> Nullable<Text>,
        idempotency_key -> Nullable<Text>,
        request_hash -> Nullable<Bytea>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    lead_file_chunks (file_id, seq) {
        file_id -> Int8,
        seq -> Int4,
        data -> Bytea,
    }
}

diesel::table! {
    lead_files (id) {
        id -> Int8,
        lead_id -> Int8,
        campaign_id -> Int8,
        name -> Text,
        content_type -> Text,
        size -> Int8,
        sha256 -> Bytea,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    lead_links (lead_id, relation_id, target_id) {
        lead_id -> Int8,
        relation_id -> Int8,
        target_id -> Int8,
    }
}

diesel::table! {
    leads (id) {
        id -> Int8,
        campaign_id -> Int8,
        source_id -> Nullable<Int8>,
        status -> Text,
        fields -> Jsonb,
        selects -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Int8,
        email -> Text,
        ip -> Text,
        at -> Timestamptz,
    }
}

diesel::table! {
    org_settings (id) {
        id -> Bool,
        setup_code_digest -> Nullable<Bytea>,
        updated_at -> Timestamptz,
        global_token_enabled -> Bool,
        master_key_check -> Nullable<Bytea>,
        destinations_allow_private -> Bool,
        destinations_allow_http -> Bool,
        destinations_allow_loopback -> Bool,
        leak_action -> Text,
    }
}

diesel::table! {
    outbox (id) {
        id -> Int8,
        recipient -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        template -> Text,
        created_at -> Timestamptz,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    pings (id) {
        id -> Int8,
        public_id -> Text,
        campaign_id -> Int8,
        source_id -> Int8,
        data -> Jsonb,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        lead_id -> Nullable<Int8>,
    }
}

diesel::table! {
    relations (id) {
        id -> Int8,
        campaign_id -> Int8,
        slug -> Text,
        label -> Text,
        target_campaign_id -> Int8,
        many -> Bool,
        required -> Bool,
        on_delete -> Text,
        position -> Int4,
    }
}

diesel::table! {
    select_options (id) {
        id -> Int8,
        select_id -> Int8,
        slug -> Text,
        label -> Text,
        position -> Int4,
    }
}

diesel::table! {
    selects (id) {
        id -> Int8,
        campaign_id -> Int8,
        slug -> Text,
        label -> Text,
    }
}

diesel::table! {
    sessions (id) {
        id -> Int8,
        digest -> Bytea,
        user_id -> Int8,
        created_at -> Timestamptz,
        last_seen_at -> Timestamptz,
        expires_at -> Timestamptz,
        ip -> Nullable<Text>,
        user_agent -> Text,
        reveal -> Nullable<Bytea>,
    }
}

diesel::table! {
    sources (id) {
        id -> Int8,
        campaign_id -> Int8,
        slug -> Text,
        name -> Text,
        kind -> Text,
        form_token_enabled -> Bool,
        ping_token_enabled -> Bool,
        post_token_enabled -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    statuses (id) {
        id -> Int8,
        campaign_id -> Int8,
        slug -> Text,
        label -> Text,
        is_default -> Bool,
        position -> Int4,
    }
}

diesel::table! {
    tokens (id) {
        id -> Int8,
        kind -> Text,
        key -> Text,
        digest -> Bytea,
        sealed -> Nullable<Bytea>,
        name -> Text,
        user_id -> Nullable<Int8>,
        campaign_id -> Nullable<Int8>,
        source_id -> Nullable<Int8>,
        can_read -> Bool,
        can_write -> Bool,
        filter_id -> Nullable<Int8>,
        active -> Bool,
        deactivated_at -> Nullable<Timestamptz>,
        deactivated_by -> Nullable<Int8>,
        deactivated_reason -> Nullable<Text>,
        created_by -> Nullable<Int8>,
        created_at -> Timestamptz,
        expires_at -> Nullable<Timestamptz>,
        last_used_at -> Nullable<Timestamptz>,
        last_used_ip -> Nullable<Text>,
        use_count -> Int8,
        revoked_at -> Nullable<Timestamptz>,
        revoked_by -> Nullable<Int8>,
        revoked_reason -> Nullable<Text>,
        warned_14d_at -> Nullable<Timestamptz>,
        warned_1d_at -> Nullable<Timestamptz>,
        destination_id -> Nullable<Int8>,
        retiring_until -> Nullable<Timestamptz>,
        allowed_ips -> Array<Text>,
        rate_per_second -> Nullable<Int4>,
        rate_per_minute -> Nullable<Int4>,
    }
}

diesel::table! {
    users (id) {
        id -> Int8,
        email -> Text,
        display_name -> Text,
        password_hash -> Nullable<Text>,
        role -> Text,
        active -> Bool,
        api_token_allowed -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        last_sign_in_at -> Nullable<Timestamptz>,
        kind -> Text,
        owner_id -> Nullable<Int8>,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> Int8,
        event_id -> Int8,
        destination_id -> Int8,
        attempt -> Int4,
        status_code -> Nullable<Int4>,
        latency_ms -> Int4,
        error -> Nullable<Text>,
        response -> Nullable<Text>,
        next_attempt_at -> Nullable<Timestamptz>,
        at -> Timestamptz,
    }
}

diesel::table! {
    webhook_events (id) {
        id -> Int8,
        public_id -> Text,
        destination_id -> Int8,
        event -> Text,
        lead_id -> Nullable<Int8>,
        payload -> Jsonb,
        state -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        created_at -> Timestamptz,
        delivered_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    instances (id) {
        id -> Text,
        started_at -> Timestamptz,
        last_seen -> Timestamptz,
    }
}

diesel::table! {
    token_ips (token_id, ip) {
        token_id -> Int8,
        ip -> Text,
        last_seen -> Timestamptz,
    }
}

diesel::table! {
    token_leaks (id) {
        id -> Int8,
        token_id -> Int8,
        reported_at -> Timestamptz,
        url -> Text,
        source -> Text,
        action -> Text,
        reporter -> Text,
    }
}

diesel::table! {
    token_policies (kind) {
        kind -> Text,
        max_days -> Nullable<Int4>,
        default_days -> Nullable<Int4>,
        never_allowed -> Bool,
        retention_days -> Int4,
        rate_per_second -> Nullable<Int4>,
        rate_per_minute -> Nullable<Int4>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    token_usage_daily (token_id, day) {
        token_id -> Int8,
        day -> Date,
        uses -> Int8,
        refused -> Jsonb,
    }
}

diesel::joinable!(account_links -> users (user_id));
diesel::joinable!(audit_events -> users (actor_id));
diesel::joinable!(destinations -> campaigns (campaign_id));
diesel::joinable!(destinations -> filters (filter_id));
diesel::joinable!(destinations -> users (owner_id));
diesel::joinable!(fields -> campaigns (campaign_id));
diesel::joinable!(filter_conditions -> filters (filter_id));
diesel::joinable!(filter_conditions -> select_options (option_id));
diesel::joinable!(filter_conditions -> selects (select_id));
diesel::joinable!(filters -> campaigns (campaign_id));
diesel::joinable!(imports -> campaigns (campaign_id));
diesel::joinable!(imports -> tokens (token_id));
diesel::joinable!(imports -> users (user_id));
diesel::joinable!(lead_file_chunks -> lead_files (file_id));
diesel::joinable!(lead_files -> campaigns (campaign_id));
diesel::joinable!(lead_files -> leads (lead_id));
diesel::joinable!(lead_links -> relations (relation_id));
diesel::joinable!(leads -> campaigns (campaign_id));
diesel::joinable!(leads -> sources (source_id));
diesel::joinable!(pings -> campaigns (campaign_id));
diesel::joinable!(pings -> leads (lead_id));
diesel::joinable!(pings -> sources (source_id));
diesel::joinable!(select_options -> selects (select_id));
diesel::joinable!(selects -> campaigns (campaign_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(sources -> campaigns (campaign_id));
diesel::joinable!(statuses -> campaigns (campaign_id));
diesel::joinable!(tokens -> campaigns (campaign_id));
diesel::joinable!(tokens -> destinations (destination_id));
diesel::joinable!(tokens -> filters (filter_id));
diesel::joinable!(tokens -> sources (source_id));
diesel::joinable!(webhook_attempts -> destinations (destination_id));
diesel::joinable!(webhook_attempts -> webhook_events (event_id));
diesel::joinable!(webhook_events -> destinations (destination_id));

diesel::joinable!(token_ips -> tokens (token_id));
diesel::joinable!(token_leaks -> tokens (token_id));
diesel::joinable!(token_usage_daily -> tokens (token_id));

diesel::allow_tables_to_appear_in_same_query!(
    account_links,
    audit_events,
    campaigns,
    destinations,
    fields,
    filter_conditions,
    filters,
    idempotency_keys,
    imports,
    instances,
    lead_file_chunks,
    lead_files,
    lead_links,
    leads,
    login_failures,
    org_settings,
    outbox,
    pings,
    relations,
    select_options,
    selects,
    sessions,
    sources,
    statuses,
    token_ips,
    token_leaks,
    token_policies,
    token_usage_daily,
    tokens,
    users,
    webhook_attempts,
    webhook_events,
);
