"""Human descriptions of every table and column of the lake: what the catalog's table and column comments say.

What `DESCRIBE TABLE` shows an analyst. `COLUMNS` gives a column name's meaning wherever that name appears;
`TABLE_COLUMNS` overrides it for the tables where the same name means something else; `TABLES` says what one
row of each table is (its grain), what the table is for and how it is written. Tables are named
`<layer>.<table>`, the layers being `bronze`, `silver`, `gold`, `quarantine` and `ops` (the schemas are in
`schemas.bronze`, `schemas.silver` and `schemas.gold`). Times are UTC; gold never holds an address.
"""

from __future__ import annotations

from pyspark.sql import types as T

COLUMNS: dict[str, str] = {
    # A column name -> its meaning wherever the name appears (unless TABLE_COLUMNS says otherwise).
    # --- where and when a record landed (bronze, quarantine, ops) -----------------------------------------------------
    "raw_record": (
        "the landed line (or mail message) exactly as it came, as text, unknown extra fields included; for an "
        "email, meeting or transcript past retention.raw_text_days, its contract fields without the text, as JSON "
        'starting {"_text_removed":true'
    ),
    "source_format": "format of the landed file: jsonl, eml or mbox",
    "source_file": "full path or URI of the landed file the record came from",
    "source_line": "position of the record in its file, from 1: its line (JSON Lines) or message (mbox); an eml is 1",
    "file_modified_at": "modification time of the landed file when it was read (UTC)",
    "ingested_at": "when the ingest run wrote the row (UTC, to the second)",
    "ingest_run_id": "id of the ingest run that wrote the row (ingest-<UTC start time>-<8 hex digits>)",
    # --- the ingest ledger --------------------------------------------------------------------------------------------
    "source": "source the landed file belongs to, named as its bronze table (crm_users, emails, transcripts, ...)",
    "file_size": "size of the file in bytes when it was read",
    "content_sha256": "hex SHA-256 of the file's bytes as read; null on rows written before the ledger kept it",
    "records_read": (
        "records in the file by an independent count (non-blank lines, mbox messages, 1 per eml, whole-file rejects)"
    ),
    "blank_lines": "whitespace-only lines of the file, which are not records (0 for mail files)",
    "rows_bronze": "records of the file written to its bronze table",
    "rows_quarantined": (
        "records of the file written to quarantine.records (records_read = rows_bronze + rows_quarantined)"
    ),
    # --- ops: the conform state and the data-quality results ----------------------------------------------------------
    "bronze_table": "bronze table (source) silver was conformed from",
    "bronze_version": "Delta version of the bronze table that the last conform read up to",
    "conformed_at": "when that conform finished (UTC)",
    "run_id": "id of the job run that validated the table (<job>-<UTC start time>-<8 hex digits>)",
    "job": "job that ran the validation: ingest, conform, daily_kpis, similar_deals or conversation_insights",
    "validated_at": "when the table was validated, before it was written (UTC)",
    "table_name": "the validated table, as the catalog names it (<layer>.<table>)",
    "rows_validated": "rows of the validated table (of the slice written); null when not counted",
    "expectation_type": "the Great Expectations expectation, e.g. expect_column_values_to_not_be_null",
    "column_name": "column the expectation checks (columns, comma-separated); null for a whole-table expectation",
    "expectation_kwargs": "the expectation's arguments, as JSON",
    "severity": "critical (a failure stops the job before the write) or warning (logged, the write goes on)",
    "success": "whether the expectation held",
    "unexpected_count": "rows that broke the expectation (for uniqueness: the rows beyond the first of each value)",
    # --- quarantine ---------------------------------------------------------------------------------------------------
    "reason": (
        "machine-readable reason of the rejection: missing_required_field, "
        "wrong_type, invalid_json, ... (first problem found)"
    ),
    "field": (
        "contract field at fault, with its position in arrays "
        "(attendees[2].email); null when the problem is the whole record or file"
    ),
    "detail": "the problem in words, starting with file:line",
    # --- CRM records --------------------------------------------------------------------------------------------------
    "user_id": "the CRM id of a user (one of our sellers)",
    "email": (
        "the person's email address, the key activities are matched by (bronze keeps its case; silver lowercases it)"
    ),
    "full_name": "the person's full name as the CRM gives it",
    "team_id": "team the row is for (a users' team_id); null on the whole-org row",
    "manager_id": "user id of the user's manager, as the CRM gives it",
    "is_active": (
        "whether the user is active (default true); inactive users "
        "are never listed in who_knows_whom nor counted as sellers"
    ),
    "analytics_opt_out": (
        "true when the user opted out of analytics: never named in gold, though their activities still count"
    ),
    "account_id": "the CRM id of the account (customer company) the row is or belongs to",
    "name": "the record's name as the CRM gives it",
    "industry": "the account's industry, as the CRM gives it",
    "employee_count": "the account's number of employees",
    "annual_revenue": "the account's annual revenue, in the base currency",
    "country": "the account's country, as the CRM gives it",
    "email_domains": (
        "email domains of the account's people: an external address on one links "
        "the account (silver: lowercased, deduplicated, no leading at-sign)"
    ),
    "primary_contact_id": "contact id of the account's primary contact",
    "owner_id": "user id of the record's owner",
    "created_at": "when the record was created in its source system (UTC); null when not given",
    "modified_at": (
        "when the record was last modified in its source (UTC): the latest version wins; null when not given"
    ),
    "contact_id": "the CRM id of the contact (a person on the customer's side)",
    "job_title": "the contact's job title, as the CRM gives it",
    "do_not_track": (
        "true when the contact must not be tracked: they link nothing, are present nowhere and never appear in gold"
    ),
    "lead_id": "the CRM id of the lead",
    "company_name": "the lead's company name, as the CRM gives it",
    "stakeholder_contact_ids": "contact ids of the record's stakeholders (silver drops blanks and duplicates)",
    "opportunity_id": "the CRM id of the opportunity (deal)",
    "sales_team_user_ids": "user ids of the deal's sales team besides its owner (silver drops blanks and duplicates)",
    "stage": "sales stage of the deal: qualify, develop, propose or close; null when not given",
    "estimated_revenue": "estimated revenue of the deal, in the base currency; null when not given",
    "actual_revenue": (
        "revenue the deal was won for, in the base currency, as landed (expected for won deals); null when not given"
    ),
    "product_line": "product line of the deal, as the CRM gives it",
    "lead_source": "where the deal came from (lead source), as the CRM gives it",
    "estimated_close_date": "the day the deal is expected to close",
    "actual_close_date": "the day the deal closed (won or lost), as landed; null when not given",
    "is_actual_estimated": (
        "true for a won deal that lacked actual revenue or close date: "
        "they are filled from the estimate and the day of modified_at"
    ),
    # --- activities as landed -----------------------------------------------------------------------------------------
    "email_id": "id of the email: its Message-ID (a content-hash id for a mail file without one)",
    "from": "address of the sender (for mail files, the person behind a mailing-list rewrite)",
    "to": "addresses of the To recipients",
    "cc": "addresses of the Cc recipients",
    "bcc": "addresses of the Bcc recipients",
    "sent_at": "when the email was sent (UTC)",
    "thread_id": "conversation id as the mail system gives it (Exchange); null for mail files",
    "in_reply_to": "the Message-ID of the email this one replies to",
    "references": "the Message-IDs of the earlier emails this one refers to (its References header)",
    "subject": "subject of the email or meeting as given (silver only, never in gold); null once retention removed it",
    "regarding_type": "type of the record the source says the activity is about: account, contact, lead or opportunity",
    "regarding_id": "id of that record; kept even when no such record landed",
    "followed": (
        "whether the email is followed: its opens, clicks, attachment views and replies are tracked (default false)"
    ),
    "event_id": "id of the email tracking event",
    "event_type": "what happened to the email: opened, link_clicked, attachment_viewed or replied",
    "occurred_at": "when the event happened (UTC)",
    "meeting_id": "id of the meeting",
    "organizer": "address of the meeting's organizer",
    "start_at": "when the meeting starts (UTC)",
    "end_at": "when the meeting ends (UTC)",
    "attendees": "the invitees: {email, required (default true), response: accepted, tentative, declined or none}",
    "call_id": "id of the call activity (the call_id of the calls source)",
    "started_at": "when the call started (UTC)",
    "duration_seconds": "length of the call in seconds, as the call record gives it; null when not given",
    "direction": "outgoing or incoming, as given; informational only (the side of `from` decides the direction)",
    "recorded": "whether the call is flagged as recorded (default false)",
    "task_id": "id of the task",
    "owner": "address of the user who owns the task",
    "due_at": "when the task is due (UTC); null when not given",
    "completed_at": "when the task was completed (UTC); null when not given",
    "duration_minutes": "minutes spent on the task, as given (team time); null when not given",
    "language": "language tag the transcript declares (BCP-47, default en); not used: gold detects the language",
    "participants": "the speakers: {participant_id, email (optional), role: seller, customer or other}",
    "fragments": (
        "the speech: {participant_id, offset_ms, duration_ms, text}, offsets in milliseconds from the call start"
    ),
    # --- silver activities and participants ---------------------------------------------------------------------------
    "activity_key": "the activity's key across types: <type>:<id> (email:<Message-ID>, meeting:<meeting_id>, ...)",
    "activity_type": "type of the activity: email, meeting, call or task",
    "activity_id": "the activity's id in its source (email_id, meeting_id, call_id or task_id)",
    "activity_at": (
        "time of the activity (UTC): email sent, meeting start, call start, "
        "task completed_at else modified_at; null for a task with neither"
    ),
    "counts_from": (
        "when it starts to count (UTC): email sent, meeting end unless "
        "canceled, completed call's start, completed task's time; null: never"
    ),
    "planned_at": (
        "when it is planned (UTC), for the next interaction: meeting "
        "or call start unless canceled, open task due time; else null"
    ),
    "initiator_address": "address of who initiated it (sender, organizer, caller or task owner), lowercased",
    "initiated_by": (
        "side that initiated the activity: team (internal sender, organizer or caller; every task) or customer"
    ),
    "is_tracked": (
        "false when left out of everything: all participants internal "
        "(tasks aside) or only do_not_track contacts outside"
    ),
    "role": "how the address takes part: from, to, cc, bcc, organizer, attendee, caller, callee or owner (of a task)",
    "address": "the participant's address, trimmed and lowercased (silver only, never in gold)",
    "response": (
        "the attendee's response: accepted, tentative, declined or "
        "none (the most present of its listings); null for other roles"
    ),
    "is_internal": "true when the address is a user's or on one of our internal domains",
    "is_present": "false only when every listing of the address in the activity declined the meeting",
    "account_match": "how account_id was found: contact (the contact's account) or domain; null when no account",
    "is_do_not_track": (
        "true when a contact with this address is do_not_track: the address links nothing and is present nowhere"
    ),
    "person_key": "salted SHA-256 (hex) pseudonymous key of an address that is no user, contact or lead; else null",
    # --- records and links --------------------------------------------------------------------------------------------
    "record_type": "type of the CRM record: account, contact, lead or opportunity",
    "record_id": "id of the record: its account, contact, lead or opportunity id",
    "is_known_record": "false when the record id never landed in the CRM (a dangling regarding link, ignored by gold)",
    # --- silver daily sums --------------------------------------------------------------------------------------------
    "counts_on": "the UTC day the row's activities start to count (the day of counts_from)",
    "activity_on": "the UTC day the row's activities happened (the day of activity_at)",
    "activity_month": "the first day of activity_on's month: the partition the row is in",
    "team_seconds": (
        "seconds the team spent on the row's activities (email 5 or 2.5 min, meeting x people present, calls, tasks)"
    ),
    "customer_seconds": (
        "seconds the customer spent on the row's activities (email 5 or 2.5 min, meetings and calls once)"
    ),
    "facetime_seconds": "seconds of meeting and call time among the row's activities, each counted once",
    "last_at": "time (UTC) of the latest activity among the row's activities",
    "last_activity_id": "id of that latest activity (the smallest on a tie)",
    "side": "team (our users) or customer (external people)",
    "person_type": "user, contact, lead, or pseudonym (an external address that is no contact or lead)",
    "person_id": "the person's user, contact or lead id, or the pseudonymous key of an unknown address",
    "connections": (
        "emails (one sent, the other received) and meetings (both "
        "present) between the user and the person, of the row's days"
    ),
    # --- email threads and responses ----------------------------------------------------------------------------------
    "thread_key": (
        "the email thread: the smallest id among its emails, the ids they point at and their thread:<thread_id> nodes"
    ),
    "request_email_id": "first email of the request: a run of consecutive emails from one side inside the thread",
    "request_side": "side that sent the request: team or customer",
    "request_sent_at": "when the request's first email was sent (UTC)",
    "request_emails": "emails in the request run",
    "response_email_id": (
        "first email from the other side after the run, when sent within "
        "the response window (30 days by default); null: no response"
    ),
    "response_sent_at": "when the response was sent (UTC); null when there is no response",
    "response_hours": "hours from the request's first email to the response, unrounded; null when there is no response",
    # --- call transcripts ---------------------------------------------------------------------------------------------
    "participant_id": "the speaker's id within the transcript",
    "turn_index": "0-based position of the turn in the call, by start time then participant id",
    "start_ms": "start of the turn in milliseconds from the call start",
    "end_ms": "end of the turn (its latest fragment end) in milliseconds from the call start",
    "words": "whitespace-separated words in the turn's text; null once retention removed the text",
    "text": "what was said in the fragment as transcribed (silver only, never in gold); null once retention removed it",
    "fragment_index": "0-based position of the fragment in the call, in start order",
    "offset_ms": "start of the fragment in milliseconds from the call start",
    "duration_ms": "length of the fragment in milliseconds",
    # --- gold: every table --------------------------------------------------------------------------------------------
    "as_of_date": "the day T the run is for (UTC): figures are as of the end of that day; the slice a run replaces",
    "computed_at": "when the run wrote the row (UTC); the one column that differs between reruns of a day",
    # --- gold: relationship KPIs (lifetime up to T) -------------------------------------------------------------------
    "emails_sent": "emails the team sent (internal sender) linked to the record, up to the end of T (lifetime)",
    "emails_received": "emails the customer sent (external sender) linked to the record, up to the end of T (lifetime)",
    "meetings_sent": "meetings organized by the team linked to the record, ended by T and not canceled (lifetime)",
    "meetings_received": (
        "meetings organized by the customer linked to the record, ended by T and not canceled (lifetime)"
    ),
    "calls_made": "completed calls placed by the team (internal caller) linked to the record, started by T (lifetime)",
    "calls_received": (
        "completed calls placed by the customer (external caller) linked to the record, started by T (lifetime)"
    ),
    "tasks_completed": "completed tasks linked to the record, done by the end of T (lifetime)",
    "interactions_by_team": "emails_sent + meetings_sent + calls_made",
    "interactions_by_customer": "emails_received + meetings_received + calls_received",
    "email_ratio_by_us": "emails_sent / emails_received (a ratio, may exceed 1); null when no email was received",
    "email_ratio_by_them": "emails_received / emails_sent (a ratio, may exceed 1); null when no email was sent",
    "team_hours": (
        "hours the team spent on linked activities up to T (email 5 min written, "
        "2.5 read; meetings per person present; calls; tasks), 1 decimal"
    ),
    "customer_hours": (
        "hours the customer spent on linked activities up to T (email "
        "5 min written, 2.5 read; meetings and calls once), 1 decimal"
    ),
    "facetime_hours": "hours of linked meetings and calls up to T, each counted once; rounded to 1 decimal",
    "replies_by_team": (
        "customer email requests the team answered within the response window (30 days by default), by T"
    ),
    "replies_by_customer": (
        "team email requests the customer answered within the response window (30 days by default), by T"
    ),
    "response_rate_by_us": "share (0-1) of the customer's email requests the team answered; null when there was none",
    "response_rate_by_them": "share (0-1) of the team's email requests the customer answered; null when there was none",
    "avg_response_hours_by_us": (
        "mean hours the team took to answer a customer request "
        "(from its first email), 1 decimal; null without responses"
    ),
    "avg_response_hours_by_them": (
        "mean hours the customer took to answer a team request "
        "(from its first email), 1 decimal; null without responses"
    ),
    "last_interaction_at": (
        "time (UTC) of the latest counting linked activity: email "
        "sent, meeting or call start, task done; null when none"
    ),
    "last_interaction_type": "type of that latest activity: email, meeting, call or task; null when none",
    "last_interaction_direction": (
        "who initiated that latest activity: team or customer (tasks are the team's); null when none"
    ),
    "next_interaction_at": (
        "start (UTC) of the earliest linked meeting or call not "
        "canceled, or due time of an open task, after T; null when none"
    ),
    "next_interaction_type": "type of that next activity: meeting, call or task; null when none",
    "followed_emails": "followed emails the team sent linked to the record, up to T",
    "open_rate": "share (0-1) of those followed emails opened at least once by T; null when there is no followed email",
    "click_rate": (
        "share (0-1) of followed emails with at least one link click by T; null when there is no followed email"
    ),
    "attachment_view_rate": (
        "share (0-1) of followed emails with at least one attachment view by T; null when there is no followed email"
    ),
    "reply_rate": (
        "share (0-1) of followed emails with at least one replied event by T; null when there is no followed email"
    ),
    "health_score": (
        "relationship health 0-100 (engagement and balance, last "
        "365 days); null when not applicable or under 3 activities"
    ),
    "health_state": (
        "good (>= 60), fair (>= 40), poor; not_enough_info (1-2 activities), "
        "no_activities, not_applicable (accounts; leads, deals not open)"
    ),
    "health_trend": (
        "vs the score 14 days earlier (default): improving (+5 or more), "
        "declining (-5 or less), steady, not_enough_info; null if not applicable"
    ),
    "health_engagement_ratio": (
        "engagement E / expected engagement E_exp (decayed, type- "
        "and side-weighted activity); null when there is no score"
    ),
    "health_balance": (
        "balance of customer- against team-initiated activity, 0-1: min(1, (C + 1) / (0.5 M + 1)); null without score"
    ),
    "days_since_last_activity": (
        "whole days from the UTC date of the last counting activity to T; null when there is no score"
    ),
    "summary": "one English sentence on the biggest difference between what the team and the customer initiated",
    # --- gold: most contacted, who knows whom -------------------------------------------------------------------------
    "emails": "linked emails the person took part in (sender or recipient), up to T",
    "meetings": "linked meetings the person was present at (not declined), up to T",
    "calls": "linked completed calls the person took part in, up to T",
    "total": "emails + meetings + calls",
    "last_contacted_at": "time (UTC) of the latest of those emails, meetings and calls",
    "score": (
        "connection: sum of weight x e^(-age in days / 90) over emails "
        "(weight 1) and meetings (2) between them in 365 days (defaults)"
    ),
    "strength": "strong (score >= 5), fair (score >= 2) or weak (default thresholds)",
    # --- gold: email engagement ---------------------------------------------------------------------------------------
    "sender_user_id": "user who sent the email; null when the sender is not a user or opted out of analytics",
    "opens": "distinct opened events of the email by the end of T",
    "clicks": "distinct link_clicked events of the email by the end of T",
    "attachment_views": "distinct attachment_viewed events of the email by the end of T",
    "replies": "distinct replied events of the email by the end of T (engagement tracking, not thread responses)",
    "last_opened_at": "time (UTC) of the latest opened event by T; null when never opened",
    # --- gold: deal tracker -------------------------------------------------------------------------------------------
    "stage_color": (
        "chart colour of the stage: qualify dark blue, develop light "
        "blue, propose red, close purple; null without a stage"
    ),
    # --- gold: similar won deals (weekly) -----------------------------------------------------------------------------
    "refreshed_on": "the weekly refresh: the Monday of T's ISO week; the slice a weekly run replaces",
    "similar_opportunity_id": "the similar won deal (its opportunity id)",
    "similarity": "similarity 0-1 of the two deals by the learned feature weights (1: alike); null in a fallback week",
    "similar_closed_on": "the day the won deal closed (its actual close date)",
    "avg_response_hours": (
        "the won deal's avg_response_hours_by_us (hours the team took to answer) as of T; null when none"
    ),
    "response_rate": (
        "the won deal's response_rate_by_us (share 0-1 of customer requests answered) as of T; null when none"
    ),
    "is_fallback": (
        "true in a fallback week (under 30 won or 30 lost deals closed "
        "in the 24 months to T): the 100 latest won deals, no similarity"
    ),
    "feature": "the feature: an opportunity or account column deals are compared by (estimated_revenue, industry, ...)",
    "kind": "categorical (same value or not) or numeric (compared on a 0-1 scale, log for revenue and employees)",
    "weight": "the feature's share of the win/loss model's importance; the weights of a refresh sum to 1",
    "model_auc": (
        "area under the ROC curve of the win/loss model on the held-out "
        "fifth of closed deals; null when that fifth has one class"
    ),
    "trained_on_deals": "closed deals (won and lost, closed in the 24 months to T) the win/loss model was trained on",
    "held_out_deals": "closed deals held out to measure the win/loss model (model_auc)",
    "similar_deals": "similar won deals averaged (0 when the deal has none)",
    "similar_interactions_by_team": (
        "mean interactions_by_team of its similar won deals, 4 decimals; null when none has one"
    ),
    "similar_team_hours": "mean team_hours of its similar won deals, 4 decimals; null when none has one",
    "similar_customer_hours": "mean customer_hours of its similar won deals, 4 decimals; null when none has one",
    "similar_avg_response_hours_by_us": (
        "mean avg_response_hours_by_us of its similar won deals that have one, 4 decimals; null when none does"
    ),
    "similar_avg_response_hours_by_them": (
        "mean avg_response_hours_by_them of its similar won deals that have one, 4 decimals; null when none does"
    ),
    "similar_email_ratio_by_us": (
        "mean email_ratio_by_us of its similar won deals that have one, 4 decimals; null when none does"
    ),
    "similar_email_ratio_by_them": (
        "mean email_ratio_by_them of its similar won deals that have one, 4 decimals; null when none does"
    ),
    # --- gold: conversation intelligence per call ---------------------------------------------------------------------
    "seller_user_id": (
        "the call's seller: the transcript's seller who talked longest, "
        "else the user who placed it; null: unknown or opted out"
    ),
    "talk_pct": "percent (0-100) of seller + customer talk time that is the seller's; null when neither talked",
    "listen_pct": (
        "100 - talk_pct: percent (0-100) of seller + customer talk "
        "time that is the customer's; null when neither talked"
    ),
    "switches": (
        "changes of speaker between consecutive seller and customer turns, in start order, ignoring turns under 1 s"
    ),
    "switches_per_hour": "switches per hour of call (hours from duration_seconds); null without a duration",
    "words_per_minute": "the seller's words per minute of seller talk time; null when the seller did not talk",
    "pause_before_speaking_ms": (
        "mean gap in milliseconds from a customer turn's end to the "
        "seller turn after it (0 if they overlap); null: no such pair"
    ),
    "longest_customer_monologue_s": "the longest customer turn, in seconds; null when the customer did not speak",
    "positive_share": (
        "share (0-1) of customer fragment time labelled positive "
        "(VADER); null unless detected English with customer speech"
    ),
    "neutral_share": (
        "share (0-1) of customer fragment time labelled neutral "
        "(VADER); null unless detected English with customer speech"
    ),
    "negative_share": (
        "share (0-1) of customer fragment time labelled negative "
        "(VADER); null unless detected English with customer speech"
    ),
    "sentiment_label": (
        "positive, neutral or negative: the share larger than both others (neutral on a tie); null like the shares"
    ),
    "term_kind": (
        "keyword, competitor, best_practice (tracked terms) or other_brand (other organisations detected in speech)"
    ),
    "term": "the tracked term as configured, or the other brand's name as most often written",
    "speaker_role": (
        "whose speech it was counted in: customer (keywords, competitors, other brands) or seller (best practice)"
    ),
    "mentions": "times the term is mentioned in the call",
    # --- gold: the home page, per period and team ---------------------------------------------------------------------
    "period": "the period: last_24_hours, last_7_days, this_month, last_month, all_time or custom:<from>..<to>",
    "period_start": "start of the period's window (inclusive, UTC); null for all_time",
    "period_end": (
        "end of the period's window (exclusive, UTC): the end of T, or the end of last month or of a custom range"
    ),
    "won_revenue": (
        "actual revenue of the deals won in the period (by close date), base currency; a deal's team is its owner's"
    ),
    "open_pipeline": (
        "estimated revenue of the deals open at T (created by then), base currency; the same in every period"
    ),
    "deals_won": "deals won with a close date in the period",
    "deals_lost": "deals lost with a close date in the period",
    "win_rate": "deals_won / (deals_won + deals_lost), 0-1; null when no deal closed in the period",
    "avg_deal_size": "won_revenue / deals_won, base currency; null when no deal was won in the period",
    "days_left": (
        "whole days from the end of T to the end of the period: the "
        "rest of the month (this_month) or of a custom range; else 0"
    ),
    "won_revenue_trend_pct": (
        "percent change of won_revenue against the previous period of equal length; null when that was 0, or all_time"
    ),
    "deals_won_trend_pct": (
        "percent change of deals_won against the previous period of equal length; null when that was 0, or all_time"
    ),
    "win_rate_trend_pct": (
        "percent change of win_rate against the previous period of "
        "equal length; null when that was 0 or null, or all_time"
    ),
    "avg_deal_size_trend_pct": (
        "percent change of avg_deal_size against the previous period "
        "of equal length; null when that was 0 or null, or all_time"
    ),
    "calls_analysed": "calls with customer sentiment (English, with customer speech) started in the period",
    "calls_above_avg_negative": "analysed calls whose negative_share is above the mean of the period's analysed calls",
    "avg_negative_share": "mean negative_share (0-1) of the period's analysed calls; null when none",
    "pct_positive": "percent (0-100) of the row's analysed calls in the period labelled positive; null when none",
    "pct_neutral": "percent (0-100) of the row's analysed calls in the period labelled neutral; null when none",
    "pct_negative": "percent (0-100) of the row's analysed calls in the period labelled negative; null when none",
    "calls_analysed_trend_pct": (
        "percent change of calls_analysed against the previous "
        "period of equal length; null when that was 0, or all_time"
    ),
    "pct_negative_trend_pct": (
        "percent change of pct_negative against the previous period of "
        "equal length; null when that was 0 or had no call, or all_time"
    ),
    "trend_pct": (
        "percent change of mentions against the previous period of equal length; null when that had none, or all_time"
    ),
    "group": (
        "top (sellers whose won revenue in the period is above their team's mean) or team (all the team's sellers)"
    ),
    "sellers": "sellers in the group: active users who have not opted out of analytics",
    "best_practice_per_call": "best-practice keyword mentions by the sellers per call; null without calls",
    "email_hours": (
        "mean hours per seller on emails in the period: 5 min per email "
        "written, 2.5 per customer email received; null without sellers"
    ),
    "call_hours": (
        "mean hours per seller on calls in the period (each internal "
        "participant: the call's duration); null without sellers"
    ),
    "meeting_hours": (
        "mean hours per seller in meetings in the period (the meeting's duration, when present); null without sellers"
    ),
    "month": "the calendar month of the calls' start (its first day, UTC)",
    "calls_recorded": "counting calls started in the month that are flagged recorded or have a transcript",
    "hours_recorded": "total duration of those recorded calls, in hours (unrounded)",
    "calls_with_keywords": "recorded calls whose customer speech mentions a tracked keyword",
    "calls_with_competitors_or_brands": (
        "recorded calls whose customer speech mentions a tracked competitor or another brand"
    ),
    "calls_recorded_trend_pct": (
        "percent change of calls_recorded against the month before; null for the first month or after 0"
    ),
    "hours_recorded_trend_pct": (
        "percent change of hours_recorded against the month before; null for the first month or after 0"
    ),
    "calls_with_keywords_trend_pct": (
        "percent change of calls_with_keywords against the month before; null for the first month or after 0"
    ),
    "calls_with_competitors_or_brands_trend_pct": (
        "percent change of calls_with_competitors_or_brands against "
        "the month before; null for the first month or after 0"
    ),
    "day": "the UTC day (T-59 to T) the row's activities happened",
}

TABLE_COLUMNS: dict[str, dict[str, str]] = {
    # "layer.table" -> column -> meaning, where the column means something else there than in COLUMNS.
    # --- bronze -------------------------------------------------------------------------------------------------------
    "bronze.crm_users": {
        "team_id": "id of the user's sales team; null when not given",
    },
    "bronze.crm_leads": {
        "status": "open (default), qualified or disqualified",
    },
    "bronze.crm_opportunities": {
        "contact_id": "the deal's main contact",
        "status": "open, won or lost",
    },
    "bronze.email_events": {
        "email_id": "the email the event is about (its Message-ID); may be an email that never landed",
    },
    "bronze.meetings": {
        "status": "scheduled (default), completed or canceled",
    },
    "bronze.calls": {
        "from": "address of the caller",
        "to": "addresses called",
        "status": "scheduled, completed (default) or canceled",
    },
    "bronze.tasks": {
        "status": "open, completed or canceled",
    },
    # --- quarantine ---------------------------------------------------------------------------------------------------
    "quarantine.records": {
        "source": (
            "source the record was meant for (a bronze table name), "
            "or crm_csv for rows the CRM CSV import could not map"
        ),
        "source_line": (
            "position of the rejected record in its file, from 1 (line or mbox message); 0 for a whole-file rejection"
        ),
        "raw_record": (
            "the rejected line or message as it came (undecodable bytes replaced); null for a whole-file rejection, "
            "and for an email, meeting or transcript ingested more than retention.raw_text_days ago"
        ),
        "ingest_run_id": "id of the run that wrote the row: ingest-<UTC time>-<8 hex digits>, or crm-csv-<UTC time>",
    },
    # --- ops ----------------------------------------------------------------------------------------------------------
    "ops.ingest_files": {
        "source_file": "full path or URI of the landed file",
    },
    "ops.erasures": {
        "address_hash": (
            "salted SHA-256 of the erased address (not its pseudonymous key): recognises the address in data "
            "landed later, without holding it"
        ),
        "reference": "the first 12 hex digits of address_hash: how the job's log names the erasure",
        "run_id": "id of the run of jobs.erase that erased it (erase-<UTC start time>-<8 hex digits>)",
        "trigger": "request (an address given to jobs.erase) or reapply (found again in data landed later)",
        "erased_at": "when the run removed the rows (UTC)",
        "rows_erased": "rows the run removed from every table, for all the addresses it erased",
        "tables": "the tables the run changed, as <layer>.<table>: those whose old versions are purged",
        "purge_after": (
            "when the old table versions and log entries that still hold the rows may go "
            "(erased_at + privacy.erasure_retention_hours)"
        ),
        "purged_at": "when they went (VACUUM and the log cut before a new checkpoint); null: not yet",
    },
    # --- silver -------------------------------------------------------------------------------------------------------
    "silver.users": {
        "team_id": "id of the user's sales team; null when not given",
    },
    "silver.leads": {
        "status": "open (default), qualified or disqualified",
    },
    "silver.opportunities": {
        "actual_revenue": (
            "revenue the deal was won for, base currency; a won deal "
            "without one takes its estimated revenue (is_actual_estimated)"
        ),
        "actual_close_date": "the day the deal closed; a closed deal without one takes the day of its modified_at",
        "contact_id": "the deal's main contact",
        "status": "open, won or lost",
    },
    "silver.activities": {
        "end_at": "when it ended (UTC): email sent, meeting end, call start + duration, task done time",
        "status": (
            "meetings and calls: scheduled, completed or canceled; "
            "tasks: open, completed or canceled; emails: completed"
        ),
        "duration_minutes": (
            "length in minutes: meeting end - start, call duration_seconds / 60, task minutes as given; null for emails"
        ),
        "subject": (
            "subject of an email or meeting as given (never copied to gold); null for calls and tasks, "
            "and once retention removed it"
        ),
        "followed": "an email's followed flag (opens, clicks and replies tracked); null for other types",
        "recorded": "a call's recorded flag; null for other types",
        "thread_id": "an email's conversation id as the mail system gives it; null for other types and for mail files",
        "in_reply_to": "the Message-ID an email replies to; null for other types",
        "references": "the Message-IDs an email refers to (References header); null for other types",
        "modified_at": "when the kept version was last modified in its source (UTC); null when not given (mail files)",
        "source_file": "landed file of the version kept",
        "source_line": "position of the version kept in its landed file",
        "ingest_run_id": "ingest run that landed the version kept",
        "activity_month": (
            "the first day of activity_at's month (UTC), null when activity_at is: the partition the row is in"
        ),
    },
    "silver.activity_participants": {
        "user_id": "user with this address (the smallest id if several); null when none",
        "contact_id": "contact with this address (the smallest id if several); null when none",
        "lead_id": "lead with this address (the smallest id if several); null when none",
        "account_id": (
            "account of the address: its contact's, else (external only) the account listing its domain; null when none"
        ),
        "activity_month": "its activity's activity_month: the partition the row is in",
    },
    "silver.record_links": {
        "reason": "strongest rule that linked them: regarding, then participant, then domain",
        "record_id": (
            "id of the record the activity is linked to (an id that never landed when is_known_record is false)"
        ),
        "activity_month": "its activity's activity_month: the partition the row is in",
    },
    "silver.record_activity_days": {
        "activities": "counting activities in the row",
        "decayed": (
            "sum of e^(-(end of activity_on - activity_at) / tau) over them; "
            "tau (days, 14 by default): table property rapport.decay_tau_days"
        ),
    },
    "silver.record_people_days": {
        "record_type": "account, lead or opportunity",
        "emails": "linked emails the person took part in (sender or recipient), of the row's days",
        "meetings": "linked meetings the person was present at (not declined), of the row's days",
        "calls": "linked completed calls the person took part in, of the row's days",
    },
    "silver.connection_days": {
        "record_type": "contact or lead: the person the user is connected with",
        "activity_type": "email or meeting",
        "decayed": (
            "sum of e^(-(end of activity_on - activity_at) / decay) over them; "
            "decay (days, 90 by default): property rapport.connection_decay_days"
        ),
    },
    "silver.email_events": {
        "email_id": "the email the event is about (its Message-ID); may be an email that never landed",
    },
    "silver.call_turns": {
        "role": "the speaker's role: seller, customer or other",
        "fragments": "transcript fragments merged into the turn (one participant's, under 300 ms apart)",
        "text": (
            "the fragments' text joined by spaces, in offset order (silver only, never in gold); "
            "null once retention removed it"
        ),
    },
    "silver.call_fragments": {
        "role": "the speaker's role: seller, customer or other",
        "email": "the speaker's address as the transcript lists it; null when it gives none",
    },
    # --- gold ---------------------------------------------------------------------------------------------------------
    "gold.relationship_activity_daily": {
        "emails_sent": "emails the team sent linked to the record on `day`",
        "emails_received": "emails the customer sent linked to the record on `day`",
        "meetings_sent": "meetings organized by the team linked to the record that started on `day` and count by T",
        "meetings_received": (
            "meetings organized by the customer linked to the record that started on `day` and count by T"
        ),
        "calls_made": "completed calls placed by the team linked to the record, started on `day`",
        "calls_received": "completed calls placed by the customer linked to the record, started on `day`",
    },
    "gold.most_contacted": {
        "record_type": "account, lead or opportunity",
        "rank": (
            "1 to 3 on each side, highest total first; ties: later last contact, then named people, then the smaller id"
        ),
    },
    "gold.who_knows_whom": {
        "record_type": "contact or lead: the person known",
        "rank": "1 to 5: the strongest connection first; ties: later last interaction, then the smaller user id",
        "user_id": "the user who knows the person (active, not opted out of analytics)",
        "last_interaction_at": (
            "time (UTC) of the latest email or meeting between the user and the person in the 365 days"
        ),
        "last_interaction_type": "type of that latest interaction: email or meeting",
    },
    "gold.deal_tracker": {
        "owner_id": "user id of the deal's owner; null when none or opted out of analytics",
        "health_score": "the deal's health score 0-100 as in relationship_kpis; 0 when it has none (the chart's y)",
        "health_state": (
            "the deal's health state as in relationship_kpis: good, fair, poor, not_enough_info or no_activities"
        ),
        "estimated_revenue": (
            "estimated revenue of the deal, in the base currency (the bubble's size); null when not given"
        ),
    },
    "gold.similar_won_deals": {
        "as_of_date": "the day T of the run that made this weekly refresh (UTC)",
        "opportunity_id": "the open deal",
        "rank": (
            "1 to k (10 by default) by similarity, ties to the smaller id; in a fallback week 1 to 100 by later close"
        ),
        "activities": "the won deal's linked emails, meetings, calls and tasks as of T (from relationship_kpis)",
        "team_hours": "the won deal's team_hours as of T (from relationship_kpis)",
    },
    "gold.similar_deal_features": {
        "as_of_date": "the day T of the run that made this weekly refresh (UTC)",
        "source": "where the feature comes from: <silver table>.<column> (opportunities or accounts)",
    },
    "gold.opportunity_benchmark": {
        "as_of_date": "the day T of the run that made this weekly refresh (UTC)",
        "opportunity_id": "the open deal",
        "interactions_by_team": (
            "the open deal's interactions_by_team in relationship_kpis as of T; null when it has none"
        ),
        "team_hours": "the open deal's team_hours in relationship_kpis as of T; null when it has none",
        "customer_hours": "the open deal's customer_hours in relationship_kpis as of T; null when it has none",
        "avg_response_hours_by_us": (
            "the open deal's avg_response_hours_by_us in relationship_kpis as of T; null when it has none"
        ),
        "avg_response_hours_by_them": (
            "the open deal's avg_response_hours_by_them in relationship_kpis as of T; null when it has none"
        ),
        "email_ratio_by_us": "the open deal's email_ratio_by_us in relationship_kpis as of T; null when it has none",
        "email_ratio_by_them": (
            "the open deal's email_ratio_by_them in relationship_kpis as of T; null when it has none"
        ),
    },
    "gold.call_insights": {
        "team_id": "team of the call's seller (also when the seller opted out); null when unknown",
        "account_id": "account the call is linked to (strongest link reason, then smallest id); null when none",
        "opportunity_id": "opportunity the call is linked to (strongest link reason, then smallest id); null when none",
        "language": "the ISO 639-1 code detected from the call's first turns; null when too little speech to tell",
    },
    "gold.ci_top_terms": {
        "term_kind": "keyword, competitor or other_brand",
        "rank": "1 to 20 within the period, team and kind: most mentions first, then most calls, then the term",
        "mentions": "mentions of the term in the calls started in the period",
        "calls": "calls started in the period that mention the term",
    },
    "gold.ci_top_sellers": {
        "calls": "calls with a transcript of the group's sellers, started in the period",
        "talk_pct": "mean talk_pct (0-100) over those calls; null when none",
        "listen_pct": "100 - talk_pct; null when there is no call",
        "switches_per_hour": "mean switches per hour over those calls; null when none has a duration",
    },
}

TABLES: dict[str, str] = {
    # "layer.table" -> what one row is (the grain), what the table is for, and how it is written.
    # --- bronze -------------------------------------------------------------------------------------------------------
    "bronze.crm_users": (
        "CRM users (our sellers) as landed: one row per landed record (file and line), with the contract's "
        "fields validated and typed, the original text in raw_record, and where and when it landed. "
        "Appended by jobs.ingest, each landed file once; a file delivered again replaces its rows."
    ),
    "bronze.crm_accounts": (
        "CRM accounts (customer companies) as landed: one row per landed record (file and line), with the "
        "contract's fields validated and typed, the original text in raw_record, and where and when it "
        "landed. Appended by jobs.ingest, each landed file once; a file delivered again replaces its rows."
    ),
    "bronze.crm_contacts": (
        "CRM contacts (people on the customer's side) as landed: one row per landed record (file and line), "
        "with the contract's fields validated and typed, the original text in raw_record, and where and when "
        "it landed. Appended by jobs.ingest, each landed file once; a file delivered again replaces its rows."
    ),
    "bronze.crm_leads": (
        "CRM leads as landed: one row per landed record (file and line), with the contract's fields "
        "validated and typed, the original text in raw_record, and where and when it landed. "
        "Appended by jobs.ingest, each landed file once; a file delivered again replaces its rows."
    ),
    "bronze.crm_opportunities": (
        "CRM opportunities (deals) as landed: one row per landed record (file and line), with the "
        "contract's fields validated and typed, the original text in raw_record, and where and when it "
        "landed. Appended by jobs.ingest, each landed file once; a file delivered again replaces its rows."
    ),
    "bronze.emails": (
        "Emails (JSON lines, .eml files and .mbox messages) as landed: one row per landed record (file and line), "
        "with the contract's fields validated and typed, the original text in raw_record, and where and when it "
        "landed. Appended by jobs.ingest, each landed file once; a file delivered again replaces its rows."
    ),
    "bronze.email_events": (
        "Email tracking events (opens, link clicks, attachment views, replies) as landed: one row per landed record "
        "(file and line), with the contract's fields validated and typed, the original text in raw_record, and where "
        "and when it landed. Appended by jobs.ingest, each landed file once; a file delivered again replaces its rows."
    ),
    "bronze.meetings": (
        "Meetings as landed: one row per landed record (file and line), with the contract's fields "
        "validated and typed, the original text in raw_record, and where and when it landed. "
        "Appended by jobs.ingest, each landed file once; a file delivered again replaces its rows."
    ),
    "bronze.calls": (
        "Calls as landed: one row per landed record (file and line), with the contract's fields "
        "validated and typed, the original text in raw_record, and where and when it landed. "
        "Appended by jobs.ingest, each landed file once; a file delivered again replaces its rows."
    ),
    "bronze.tasks": (
        "Tasks as landed: one row per landed record (file and line), with the contract's fields "
        "validated and typed, the original text in raw_record, and where and when it landed. "
        "Appended by jobs.ingest, each landed file once; a file delivered again replaces its rows."
    ),
    "bronze.transcripts": (
        "Call transcripts (one per recorded call) as landed: one row per landed record (file and line), with "
        "the contract's fields validated and typed, the original text in raw_record, and where and when it "
        "landed. Appended by jobs.ingest, each landed file once; a file delivered again replaces its rows."
    ),
    # --- quarantine ---------------------------------------------------------------------------------------------------
    "quarantine.records": (
        "One row per landed record that broke the contract (or per rejected file, "
        "line 0), with the first problem found and the original text. Written by "
        "jobs.ingest and jobs.import_crm_csv; a file read again replaces its rows."
    ),
    # --- ops ----------------------------------------------------------------------------------------------------------
    "ops.ingest_files": (
        "The ingest ledger: one row per landed file ingested, with its size, hash and "
        "counts (records read = bronze + quarantined rows). Written by jobs.ingest "
        "after the file's rows commit; a file delivered again replaces its row."
    ),
    "ops.conform_state": (
        "One row per bronze table: the Delta version silver was last conformed from, so that the next "
        "conform reads only what bronze received since. Replaced whole by jobs.conform after each run."
    ),
    "ops.erasures": (
        "The erasure register: one row per address erased by a run of jobs.erase, without the address "
        "or its pseudonymous key, with the tables changed and when their old versions were purged. "
        "Appended by jobs.erase; purged_at set when the old versions go."
    ),
    "ops.dq_results": (
        "One row per validation of a table by a job run and expectation of the table's Great Expectations "
        "suite: whether it held and how many rows broke it. Appended by every job that validates, also "
        "when a critical failure stopped it; make dq-docs renders it as Great Expectations data docs."
    ),
    # --- silver -------------------------------------------------------------------------------------------------------
    "silver.users": (
        "One row per user (user_id): the latest landed version of each of our "
        "sellers. Rebuilt by jobs.conform from bronze whenever a CRM source changes."
    ),
    "silver.accounts": (
        "One row per account (account_id): its latest landed version, email domains "
        "cleaned. Rebuilt by jobs.conform from bronze whenever a CRM source changes."
    ),
    "silver.contacts": (
        "One row per contact (contact_id): its latest landed version, address "
        "lowercased. Rebuilt by jobs.conform from bronze whenever a CRM source changes."
    ),
    "silver.leads": (
        "One row per lead (lead_id): its latest landed version, address lowercased. "
        "Rebuilt by jobs.conform from bronze whenever a CRM source changes."
    ),
    "silver.opportunities": (
        "One row per opportunity (opportunity_id): its latest landed version, a closed deal's missing "
        "actuals filled in. Rebuilt by jobs.conform from bronze whenever a CRM source changes."
    ),
    "silver.activities": (
        "One row per email, meeting, call and task (activity_key): its latest landed version in UTC, when it counts, "
        "its duration and which side initiated it. Written by jobs.conform, merged by key as activities land."
    ),
    "silver.activity_participants": (
        "One row per activity, address and role, resolved to a user, contact, lead and account, internal or "
        "not, present or not. Written by jobs.conform with the activities; gold never sees the addresses."
    ),
    "silver.record_links": (
        "One row per activity and CRM record it belongs to (kpis.md section 1), with the strongest rule "
        "that linked them. Written by jobs.conform; activities left out of everything have no link."
    ),
    "silver.record_activity_days": (
        "One row per record, day counted from, day happened, activity type and initiating side: "
        "activity counts, time spent and decayed sums for the daily KPIs and health. Kept by "
        "jobs.conform (the days of changed activities replaced) so daily runs read small sums."
    ),
    "silver.record_people_days": (
        "One row per account, lead or opportunity, side, person present, day counted from and "
        "day happened: the linked emails, meetings and calls most_contacted sums. Kept by "
        "jobs.conform (the days of changed activities replaced) so daily runs read small sums."
    ),
    "silver.connection_days": (
        "One row per contact or lead, user, day counted from, day happened and type (email, "
        "meeting): the connections and decayed sum who_knows_whom sums. Kept by jobs.conform "
        "(the days of changed activities replaced) so daily runs read small sums."
    ),
    "silver.email_threads": (
        "One row per email with its thread: the connected group of emails joined by in_reply_to, references "
        "and thread_id. Written by jobs.conform, which threads again only the threads new emails touch."
    ),
    "silver.email_responses": (
        "One row per email request (a run of consecutive emails from one side in a thread) with its response "
        "from the other side within the response window, if any. Written by jobs.conform; gold cuts them at T."
    ),
    "silver.email_events": (
        "One row per email tracking event (event_id), its latest landed version; events of "
        "emails that never landed are kept (gold ignores them). Merged by jobs.conform."
    ),
    "silver.call_turns": (
        "One row per speaker turn of a call's latest transcript: one participant's fragments under 300 "
        "ms apart, merged. Written by jobs.conform; read for talk statistics, language and mentions."
    ),
    "silver.call_fragments": (
        "One row per fragment of a call's latest transcript, numbered in start order, with its speaker's "
        "address and role. Written by jobs.conform; read for sentiment and participants' names."
    ),
    # --- gold ---------------------------------------------------------------------------------------------------------
    "gold.relationship_kpis": (
        "One row per as-of day T and record (every account, lead, opportunity and contact but do_not_track "
        "ones): lifetime counts, time spent, responses, last and next interaction, email engagement and "
        "health. Written by jobs.daily_kpis, partitioned by as_of_date; a run replaces its day."
    ),
    "gold.relationship_activity_daily": (
        "One row per as-of day T, record and UTC day from T-59 to T, for records with a "
        "counting email, meeting or call in those 60 days (zeros on quiet days). "
        "Written by jobs.daily_kpis, partitioned by as_of_date; a run replaces its day."
    ),
    "gold.most_contacted": (
        "One row per as-of day T, account, lead or opportunity, side (team, customer) and "
        "rank 1 to 3: the people present in the most linked emails, meetings and calls up to "
        "T. Written by jobs.daily_kpis, partitioned by as_of_date; a run replaces its day."
    ),
    "gold.who_knows_whom": (
        "One row per as-of day T, contact or lead and rank 1 to 5: the users with the "
        "strongest email and meeting connection to that person over the 365 days to T. "
        "Written by jobs.daily_kpis, partitioned by as_of_date; a run replaces its day."
    ),
    "gold.email_engagement": (
        "One row per as-of day T and followed email the team sent up to T: its opens, clicks, attachment views and "
        "replies by the end of T. Written by jobs.daily_kpis, partitioned by as_of_date; a run replaces its day."
    ),
    "gold.deal_tracker": (
        "One row per as-of day T and open opportunity whose estimated close date is on or "
        "after T: revenue, close date, health and stage for the deal tracker's bubble chart. "
        "Written by jobs.daily_kpis, partitioned by as_of_date; a run replaces its day."
    ),
    "gold.similar_won_deals": (
        "One row per weekly refresh, open opportunity and rank: its most similar won deals closed in "
        "the 24 months to T (the 100 latest won deals in a fallback week), with their KPIs. Written "
        "weekly by jobs.similar_deals, partitioned by refreshed_on; a run replaces its week."
    ),
    "gold.similar_deal_features": (
        "One row per weekly refresh and feature: its weight in the win/loss model behind the "
        "similarity, and the model's quality; no rows in a fallback week. Written weekly by "
        "jobs.similar_deals, partitioned by refreshed_on; a run replaces its week."
    ),
    "gold.opportunity_benchmark": (
        "One row per weekly refresh and open opportunity: its relationship KPIs as "
        "of T beside their averages over its similar won deals. Written weekly by "
        "jobs.similar_deals, partitioned by refreshed_on; a run replaces its week."
    ),
    "gold.call_insights": (
        "One row per as-of day T and call that counts by T and has a transcript: seller, linked "
        "records, talk and listen, switches, pace, pauses, monologues, customer sentiment and language. "
        "Written by jobs.conversation_insights, partitioned by as_of_date; a run replaces its day."
    ),
    "gold.call_mentions": (
        "One row per as-of day T, call of call_insights, term kind and term: tracked keywords, "
        "competitors and other brands in customer speech, best practice in seller speech. Written "
        "by jobs.conversation_insights, partitioned by as_of_date; a run replaces its day."
    ),
    "gold.sales_base_kpis": (
        "One row per as-of day T, home-page period and team (null: the whole org): won revenue, "
        "open pipeline, deals won and lost, win rate and average deal size, with trends. Written "
        "by jobs.conversation_insights, partitioned by as_of_date; a run replaces its day."
    ),
    "gold.ci_sentiment": (
        "One row per as-of day T, period and team (null: the whole org): the customer "
        "sentiment of the calls analysed in the period, with trends. Written by "
        "jobs.conversation_insights, partitioned by as_of_date; a run replaces its day."
    ),
    "gold.ci_top_terms": (
        "One row per as-of day T, period, team (null: the whole org), term kind and rank 1 to 20: "
        "the most mentioned keywords, competitors and other brands, with calls and trend. Written "
        "by jobs.conversation_insights, partitioned by as_of_date; a run replaces its day."
    ),
    "gold.ci_top_sellers": (
        "One row per as-of day T, period, team (null: the whole org) and group (top sellers, whole "
        "team): the group's talk habits, best practice, sentiment and hours by mode. Written by "
        "jobs.conversation_insights, partitioned by as_of_date; a run replaces its day."
    ),
    "gold.call_recording_kpis": (
        "One row per as-of day T, calendar month (from the first month with a recorded call to T's "
        "month) and team (null: the whole org): recorded calls, hours and mentions, with trends. "
        "Written by jobs.conversation_insights, partitioned by as_of_date; a run replaces its day."
    ),
}


def column_comment(table: str, column: str) -> str | None:
    """The description of `column` in `table` (`<layer>.<table>`): the table's own, else the name's."""
    return TABLE_COLUMNS.get(table, {}).get(column, COLUMNS.get(column))


def commented(table: str, schema: T.StructType) -> T.StructType:
    """`schema` with each described column's description as its comment: the field metadata that Spark's
    `DESCRIBE TABLE` shows and Delta keeps in the table's schema."""
    return T.StructType(
        [
            T.StructField(f.name, f.dataType, f.nullable, {**f.metadata, "comment": comment})
            if (comment := column_comment(table, f.name))
            else f
            for f in schema.fields
        ]
    )


def stale_comments(table: str, schema: T.StructType) -> dict[str, str]:
    """The columns of `schema` (a table's, as stored) whose comment is not their description: name -> description."""
    return {
        f.name: comment
        for f in schema.fields
        if (comment := column_comment(table, f.name)) and f.metadata.get("comment") != comment
    }
