{%- set d = values.dataset -%}
{%- set keys = d.primaryKey -%}
{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=[{% for k in keys %}'${{ k }}'{% if not loop.last %}, {% endif %}{% endfor %}],
        on_schema_change='append_new_columns'
    )
}}

-- The newest version of every ${{ d.source }} key with its reconciliation
-- window, and the window the key was in before it last moved (an update of
-- ${{ d.eventTimeColumn }} can move a row to another window). ${{ d.tableName }}_by_window
-- re-aggregates both windows of every changed row, so a window a row left is
-- corrected too.

with changed as (

    select
{%- for c in d.columns %}{% if c.isKey or c.isMeasure or c.isEventTime %}
        ${{ c.name }},
{%- endif %}{% endfor %}
        {{ lambda_pipeline_utils.window_start_epoch('${{ d.eventTimeColumn }}') }} as window_start_epoch,
        _lsn,
        _is_deleted,
        _fingerprint,
        _loaded_at
    from {{ ref('stg_${{ d.tableName }}') }}
{% raw %}{% if is_incremental() %}{% endraw %}
    where _loaded_at > {{ lambda_pipeline_utils.high_water_mark('_loaded_at') }}
{% raw %}{% endif %}{% endraw %}

)

select
    changed.*,
{% raw %}{% if is_incremental() %}{% endraw %}
    case
        -- a new key
        when previous.window_start_epoch is null then changed.window_start_epoch
        -- moved: the window it left must be re-aggregated
        when previous.window_start_epoch <> changed.window_start_epoch then previous.window_start_epoch
        -- same window: keep the last move (re-aggregating it again is harmless)
        else previous.previous_window_start_epoch
    end as previous_window_start_epoch
{% raw %}{% else %}{% endraw %}
    changed.window_start_epoch as previous_window_start_epoch
{% raw %}{% endif %}{% endraw %}
from changed
{% raw %}{% if is_incremental() %}{% endraw %}
left join {{ this }} as previous
    on {% for k in keys %}previous.${{ k }} = changed.${{ k }}{% if not loop.last %}
    and {% endif %}{% endfor %}
{% raw %}{% endif %}{% endraw %}
