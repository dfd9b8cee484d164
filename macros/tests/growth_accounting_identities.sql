{#- Growth accounting adds up (docs/segments/time.md, section 3): every month,
    active = new + retained + resurrected and active_prev = retained + churned.
    Fails per month where either identity breaks. -#}
{% test growth_accounting_identities(model) %}
    select
        month_start,
        active_users,
        new_users,
        retained_users,
        resurrected_users,
        active_users_prev,
        churned_users
    from {{ model }}
    where active_users != new_users + retained_users + resurrected_users
        or active_users_prev != retained_users + churned_users
{% endtest %}
