-- sqlfluff:indentation:template_blocks_indent:False
{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['user_id', 'gap_days'],
    on_schema_change='fail',
    post_hook=["{{ delete_rows_where('gap_days is null or (gap_days > 0 and gaps = 0) or (gap_days = 0 and last_activity_date is null)') }}"],
) }}

{#- The gaps between each user's consecutive active days on or before as_of, counted by length:
    one row per user and gap length, and one row per user with gap_days 0 and gaps 0 that
    carries the user's last active day and latest return (an active day at least
    reactivation_gap_days after the previous one). int_user_activity reads the median gap and
    the latest return from it (docs/definitions.md, section 10).

    Incremental by user, and most users only add gaps: a user all of whose rows that
    stg_events__classified wrote since this model's last run fall after the last active day
    the model holds (or who is new) gets the gaps of the days since that day added to the
    stored counts, read from the new user-days alone. The others touched (new events on or
    before that day, events found to repeat others, erasure) are counted again from all their
    days. At 100M events a day's 84K users hold 4.9M user-days and 670K rows here, of which
    a run writes 165K: only the rows that can change, an appending user's row of last day and
    return and the lengths of their new gaps, every row of a user counted again. A length
    left without gaps (gaps 0), or a user left without days (no last active day), is written
    as an empty row, which replaces the old one, and the post-hook deletes it.
    Each row stores the fingerprint of the as_of cut, reactivation_gap_days and how
    int_user_days_history counted the days: when any of them changes, every user is counted
    again. A warehouse whose rows still carry the last active day on every row (before the
    row of gap_days 0) has another fingerprint: its first run counts every user again, and
    the post-hook deletes its old rows without a gap (gap_days null). -#}

-- depends_on: {{ ref('erasure_requests') }}
-- depends_on: {{ ref('stg_events__classified') }}

{%- set reactivation_gap = var('reactivation_gap_days') | int %}
{%- set fingerprint = definition_fingerprint([
    as_of_cut('activity_date'),
    'reactivation_gap_days=' ~ reactivation_gap,
    stored_fingerprints(ref('int_user_days_history')),
    'last days on gap_days 0',
]) %}
{%- set every_user = definition_changed(fingerprint) %}

with

user_days as {{ inlined_cte() }} (
    select
        user_id,
        activity_date,
        load_batch
    from {{ ref('int_user_days_history') }}
    where {{ as_of_cut('activity_date') }}
),
{% if is_incremental() %}
touched_users as (
    {{ touched_users(every_user, 'user_days') }}
),

stored_rows as {{ materialized_cte() }} (
    -- the touched users' stored rows, read once (at 100M events 1.5M of the 5.3M rows)
    select
        this_model.user_id,
        this_model.gap_days,
        this_model.gaps,
        this_model.last_activity_date,
        this_model.last_return_date
    from {{ this }} as this_model
    inner join touched_users on this_model.user_id = touched_users.user_id
),

stored_users as (
    -- the last active day and latest return the model holds for each touched user
    select
        user_id,
        last_activity_date,
        last_return_date
    from stored_rows
    where gap_days = 0
),

changed_from as (
    {{ first_changed_dates() }}
),

appending_users as (
    -- users whose changes all fall after the last active day the model holds, or who are new
    -- (an erased user has no rows with a user id, so is never among them)
    select
        changed_from.user_id,
        stored_users.last_activity_date as stored_last_date,
        stored_users.last_return_date as stored_return_date
    from changed_from
    left join stored_users on changed_from.user_id = stored_users.user_id
    where {{ appends_after('stored_users.last_activity_date', every_user) }}
),

recounted_users as (
    {{ recounted_users() }}
),

dates as (
    -- an appending user's days after the stored last day, which all came since the last run,
    -- and that day itself, where the first new gap starts; a recounted user's every day
    select
        user_days.user_id,
        user_days.activity_date
    from user_days
    inner join appending_users on user_days.user_id = appending_users.user_id
    where
        user_days.load_batch > {{ processed_load_batch() }}
        and (appending_users.stored_last_date is null or user_days.activity_date > appending_users.stored_last_date)
    union all
    select
        user_id,
        stored_last_date as activity_date
    from appending_users
    where stored_last_date is not null
    union all
    select
        user_days.user_id,
        user_days.activity_date
    from user_days
    inner join recounted_users on user_days.user_id = recounted_users.user_id
),
{% else %}
dates as (
    select
        user_id,
        activity_date
    from user_days
),
{% endif %}
gapped as (
    select
        user_id,
        activity_date,
        {{ days_between('lag(activity_date) over (partition by user_id order by activity_date)', 'activity_date') }}
            as gap_days
    from dates
),

counted_gaps as (
    -- the gaps by length; in an incremental run the appending users' stored counts too
    select
        both_gaps.user_id,
        both_gaps.gap_days,
        sum(both_gaps.gaps) as gaps
    from (
        select
            user_id,
            gap_days,
            1 as gaps
        from gapped
        where gap_days is not null
        {%- if is_incremental() %}
        union all
        select
            stored_rows.user_id,
            stored_rows.gap_days,
            stored_rows.gaps
        from stored_rows
        inner join appending_users on stored_rows.user_id = appending_users.user_id
        where stored_rows.gaps > 0
        {%- endif %}
    ) as both_gaps
    group by both_gaps.user_id, both_gaps.gap_days
),

user_ends as (
    select
        ends.user_id,
        max(ends.last_activity_date) as last_activity_date,
        max(ends.last_return_date) as last_return_date
    from (
        select
            user_id,
            activity_date as last_activity_date,
            case when gap_days >= {{ reactivation_gap }} then activity_date end as last_return_date
        from gapped
        {%- if is_incremental() %}
        union all
        select
            user_id,
            stored_last_date as last_activity_date,
            stored_return_date as last_return_date
        from appending_users
        {%- endif %}
    ) as ends
    group by ends.user_id
),

written as (
    -- the rows written: each user's row of last day and return (gap_days 0; in an incremental
    -- run every touched user's, empty for one left without days), and the gap lengths
    -- counted: an appending user's new gaps, every gap of a user counted again
    select
        user_id,
        0 as gap_days
    from {{ 'touched_users' if is_incremental() else 'user_ends' }}
    union all
    select distinct
        user_id,
        gap_days
    from gapped
    where gap_days is not null
    {%- if is_incremental() %}
    union
    -- a recounted user's stored lengths: emptied when no gap of that length is left
    select
        stored_rows.user_id,
        stored_rows.gap_days
    from stored_rows
    inner join recounted_users on stored_rows.user_id = recounted_users.user_id
    where stored_rows.gap_days > 0
    {%- endif %}
),

final as (
    select
        written.user_id,
        cast(written.gap_days as {{ dbt.type_bigint() }}) as gap_days,
        cast(coalesce(counted_gaps.gaps, 0) as {{ dbt.type_bigint() }}) as gaps,
        user_ends.last_activity_date,
        user_ends.last_return_date,
        {{ lineage_columns(fingerprint) }}
    from written
    left join counted_gaps on written.user_id = counted_gaps.user_id and written.gap_days = counted_gaps.gap_days
    left join user_ends on written.user_id = user_ends.user_id and written.gap_days = 0
)

select * from final
