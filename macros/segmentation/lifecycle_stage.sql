{#- Lifecycle stage as of the run's as_of; first match wins:
      new          days_since_first_seen < new_user_days
      reactivated  returned (an active date within the active window) after at least
                   reactivation_gap_days since the previous active date
      at_risk      active, had activity in the 28 days before the last 28, and
                   active_days_28d < at_risk_ratio * active_days_prev_28d
      active       days_since_last_seen < active_days_window
      dormant      days_since_last_seen < churn_days
      churned      otherwise
    Arguments are column names of the calling query. -#}
{% macro lifecycle_stage(
    days_since_first_seen='days_since_first_seen',
    days_since_last_seen='days_since_last_seen',
    active_days_28d='active_days_28d',
    active_days_prev_28d='active_days_prev_28d',
    has_reactivation='has_reactivation'
) -%}
    case
        when {{ days_since_first_seen }} < {{ var('new_user_days') }} then 'new'
        when {{ has_reactivation }} then 'reactivated'
        when {{ days_since_last_seen }} < {{ var('active_days_window') }}
            and {{ active_days_prev_28d }} > 0
            and {{ active_days_28d }} < {{ var('at_risk_ratio') }} * {{ active_days_prev_28d }}
            then 'at_risk'
        when {{ days_since_last_seen }} < {{ var('active_days_window') }} then 'active'
        when {{ days_since_last_seen }} < {{ var('churn_days') }} then 'dormant'
        else 'churned'
    end
{%- endmacro %}

{% macro lifecycle_stage_labels() -%}
    {{ return(['new', 'reactivated', 'at_risk', 'active', 'dormant', 'churned']) }}
{%- endmacro %}
