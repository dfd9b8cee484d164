-- Every (r_score, f_score) cell of the rfm_bins x rfm_bins grid maps to exactly one segment,
-- and the map has no cell outside the grid.
{%- set bins = var('rfm_bins') | int %}

with

grid as (
    {%- for r in range(1, bins + 1) %}
        {%- for f in range(1, bins + 1) %}
            select
                {{ r }} as r_score,
                {{ f }} as f_score
            {%- if not loop.last %} union all{% endif %}
        {%- endfor %}
    {%- if not loop.last %} union all{% endif %}
    {%- endfor %}
),

mapped as (
    select
        r_score,
        f_score,
        count(*) as segments
    from {{ ref('rfm_segment_map') }}
    group by r_score, f_score
)

select
    coalesce(grid.r_score, mapped.r_score) as r_score,
    coalesce(grid.f_score, mapped.f_score) as f_score,
    coalesce(mapped.segments, 0) as segments
from grid
full outer join mapped
    on
        grid.r_score = mapped.r_score
        and grid.f_score = mapped.f_score
where
    grid.r_score is null
    or mapped.r_score is null
    or mapped.segments != 1
