{#- Treatment vs holdout comparison (docs/segments/measure_act.md, section 5).

    lift_ci_z(): the normal quantile of the two-sided confidence level (var lift_ci_z,
        default 1.959963984540054 = 95 %).
    wald_difference_se(p1, n1, p2, n2): standard error of p1 - p2 for two independent
        proportions (Wald): sqrt(p1 (1 - p1) / n1 + p2 (1 - p2) / n2); null when n1 or n2 is 0.
    welch_difference_se(var1, n1, var2, n2): standard error of mean1 - mean2 with unequal
        variances (Welch / normal approximation): sqrt(var1 / n1 + var2 / n2) from the sample
        variances (n - 1 denominator); null when n1 or n2 is below 2. -#}

{% macro lift_ci_z() -%}
    {{ return(var('lift_ci_z', 1.959963984540054)) }}
{%- endmacro %}

{% macro wald_difference_se(p1, n1, p2, n2) -%}
    case
        when {{ n1 }} > 0 and {{ n2 }} > 0
            then sqrt(
                {{ p1 }} * (1 - {{ p1 }}) / cast({{ n1 }} as {{ type_double() }})
                + {{ p2 }} * (1 - {{ p2 }}) / cast({{ n2 }} as {{ type_double() }})
            )
    end
{%- endmacro %}

{% macro welch_difference_se(var1, n1, var2, n2) -%}
    case
        when {{ n1 }} > 1 and {{ n2 }} > 1
            then sqrt(
                {{ var1 }} / cast({{ n1 }} as {{ type_double() }})
                + {{ var2 }} / cast({{ n2 }} as {{ type_double() }})
            )
    end
{%- endmacro %}
